import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../domain/errors.js';
import { loadConfig } from '../../functions/adapters/config.js';
import { buildDependencies } from '../../functions/adapters/dependencies.js';

const valid = {
  TABLE_NAME: 'gwm',
  ALLOWED_READ_PREFIXES: 's3://lab-fastq/, s3://lab-ref/genomes/',
  ALLOWED_WRITE_PREFIXES: 's3://lab-results/',
  OMICS_ROLE_ARN: 'arn:aws:iam::123456789012:role/omics',
};

describe('configuration', () => {
  it('reads lists and fills defaults', () => {
    const config = loadConfig(valid);
    expect(config.ALLOWED_READ_PREFIXES).toEqual(['s3://lab-fastq/', 's3://lab-ref/genomes/']);
    expect(config.STARTRUN_RATE_PER_SECOND).toBe(1);
    expect(config.MAX_SAMPLES).toBe(10_000);
    expect(config.MAX_MANIFEST_BYTES).toBe(10 * 1024 * 1024);
    // HealthOmics' own default (RETAIN) refuses new runs once the account's run count is full
    expect(config.RUN_RETENTION_MODE).toBe('REMOVE');
  });

  it('names every missing or malformed variable at once', () => {
    const read = () =>
      loadConfig({
        ...valid,
        TABLE_NAME: undefined,
        OMICS_ROLE_ARN: 'omics',
        STARTRUN_RATE_PER_SECOND: '-1',
      });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/TABLE_NAME.*OMICS_ROLE_ARN: an IAM role ARN.*STARTRUN_RATE_PER_SECOND/);
  });

  it('refuses an empty or non-S3 allowed prefix list', () => {
    expect(() => loadConfig({ ...valid, ALLOWED_WRITE_PREFIXES: '' })).toThrow(/ALLOWED_WRITE_PREFIXES/);
    expect(() => loadConfig({ ...valid, ALLOWED_READ_PREFIXES: 'https://x/' })).toThrow(
      /ALLOWED_READ_PREFIXES/,
    );
  });
});

describe('reconciler thresholds', () => {
  const depsFor = (env: Record<string, string>) =>
    buildDependencies(loadConfig({ ...valid, ...env }), {
      dynamo: new DynamoDBClient({ region: 'us-east-1' }),
      notifier: { send: async () => {} },
    });

  it('reads the RECONCILE_AFTER_MINUTES_* settings as minutes by default (AWS)', () => {
    const deps = depsFor({});
    expect(deps.reconciler.staleAfterMs.RUNNING).toBe(360 * 60_000);
    expect(deps.reconciler.staleAfterMs.SUBMITTING).toBe(10 * 60_000);
    expect(deps.notificationResume.staleAfterMs).toBe(15 * 60_000);
  });

  it('scales every threshold with RECONCILE_TIME_UNIT_SECONDS, so the embedded runtime repairs in seconds', () => {
    const deps = depsFor({ RECONCILE_TIME_UNIT_SECONDS: '1', RECONCILE_AFTER_MINUTES_RUNNING: '30' });
    expect(deps.reconciler.staleAfterMs).toMatchObject({
      QUEUED: 180_000,
      SUBMITTING: 10_000,
      SUBMITTED: 30_000,
      RUNNING: 30_000,
      STOPPING: 30_000,
    });
    expect(deps.notificationResume.staleAfterMs).toBe(15_000);
  });
});
