import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../domain/errors.js';
import { loadConfig } from '../../functions/adapters/config.js';
import { type FunctionKey, logicalIdsOf, synthesize, variablesOf } from './stack-fixture.js';

/**
 * What CloudFormation puts in place of each deploy-time reference. A variable holding a
 * reference without a sample here fails the test, so a new one gets looked at.
 */
const SAMPLES: Record<string, string> = {
  TABLE_NAME: 'Test-LaunchesTable-1X2Y3Z',
  OMICS_ROLE_ARN: 'arn:aws:iam::123456789012:role/Test-OmicsServiceRole-1X2Y3Z',
  NOTIFY_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:Test-NotificationsTopic-1X2Y3Z',
  NOTIFY_EVENT_BUS_NAME: 'TestNotificationsBus1X2Y3Z',
  COST_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/Test-CostQueue-1X2Y3Z',
};

/** A function's environment as Lambda will hand it over, references replaced by samples. */
function deployedEnvironment(variables: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => {
      if (typeof value === 'string') return [name, value];
      const sample = SAMPLES[name];
      if (sample === undefined) throw new Error(`${name} holds a deploy-time reference with no sample value`);
      return [name, sample];
    }),
  );
}

describe("the deployed functions' environment", () => {
  it.each([
    ['the example settings', {}],
    [
      'every function setting given',
      {
        omicsServiceRoleArn: 'arn:aws:iam::123456789012:role/lab-omics-runs',
        startRun: { ratePerSecond: 2, burst: 2, callsPerClaim: 4, backoffBaseMs: 500, backoffMaxMs: 8000 },
        claimLeaseSeconds: 240,
        limits: { maxSamples: 2000, maxManifestBytes: 1048576 },
        runRetentionMode: 'REMOVE' as const,
        logExcerptLines: 30,
        reconcile: {
          everyMinutes: 10,
          engineReadsPerSecond: 4,
          maxLaunches: 300,
          afterMinutes: { queued: 120, submitting: 15, submitted: 45, running: 720 },
        },
      },
    ],
  ])("passes each function's own loadConfig with %s", (_name, overrides) => {
    // Prepare
    const { stack, template } = synthesize(overrides);
    // Act & Assess
    for (const [key, ids] of Object.entries(logicalIdsOf(stack)) as Array<
      [FunctionKey, { function: string }]
    >) {
      const config = loadConfig(deployedEnvironment(variablesOf(template, ids.function)));
      expect(config.TABLE_NAME, key).toBe(SAMPLES.TABLE_NAME);
      expect(config.ALLOWED_READ_PREFIXES, key).toEqual(['s3://lab-inputs/fastq/', 's3://lab-references']);
      expect(config.ALLOWED_WRITE_PREFIXES, key).toEqual(['s3://lab-results/gwm/']);
    }
  });

  it('carries each setting to the variable the functions read', () => {
    // Prepare
    const { stack, template } = synthesize({
      startRun: { ratePerSecond: 2, burst: 3, callsPerClaim: 4, backoffBaseMs: 500, backoffMaxMs: 8000 },
      limits: { maxSamples: 2000 },
      runRetentionMode: 'REMOVE',
      reconcile: {
        everyMinutes: 10,
        engineReadsPerSecond: 4,
        maxLaunches: 300,
        afterMinutes: { running: 720, sending: 20 },
      },
    });
    const ids = logicalIdsOf(stack);
    const variables = variablesOf(template, ids.reconciler.function);
    // Act
    const config = loadConfig(deployedEnvironment(variables));
    // Assess
    expect(config).toMatchObject({
      STARTRUN_RATE_PER_SECOND: 2,
      STARTRUN_BURST: 3,
      STARTRUN_CALLS_PER_CLAIM: 4,
      STARTRUN_BACKOFF_BASE_MS: 500,
      STARTRUN_BACKOFF_MAX_MS: 8000,
      MAX_SAMPLES: 2000,
      RUN_RETENTION_MODE: 'REMOVE',
      RECONCILE_ENGINE_READS_PER_SECOND: 4,
      RECONCILE_MAX_LAUNCHES: 300,
      RECONCILE_AFTER_MINUTES_RUNNING: 720,
      RECONCILE_AFTER_MINUTES_SENDING: 20,
      // Not set: the functions' own defaults.
      CLAIM_LEASE_SECONDS: 300,
      RECONCILE_AFTER_MINUTES_QUEUED: 180,
    });
  });

  it('has the launcher start runs with retention mode REMOVE when the settings name none', () => {
    const { stack, template } = synthesize();
    const launcher = logicalIdsOf(stack).launcher;
    if (!launcher) throw new Error('no launcher');
    expect(variablesOf(template, launcher.function).RUN_RETENTION_MODE).toBe('REMOVE');
  });

  it('tells only the functions that send notices where they go: intake, aggregator', () => {
    // Prepare
    const { stack, template } = synthesize();
    // Act
    const notifying = Object.entries(logicalIdsOf(stack))
      .filter(([, ids]) => {
        const variables = variablesOf(template, ids.function);
        return 'NOTIFY_TOPIC_ARN' in variables && 'NOTIFY_EVENT_BUS_NAME' in variables;
      })
      .map(([key]) => key);
    // Assess
    expect(notifying.sort()).toEqual(['aggregator', 'intake']);
  });

  it('would fail a function missing a required variable (the check has teeth)', () => {
    // Prepare
    const { stack, template } = synthesize();
    const ids = logicalIdsOf(stack);
    const variables = deployedEnvironment(variablesOf(template, ids.launcher.function));
    const { OMICS_ROLE_ARN: _removed, ...withoutRole } = variables;
    // Act & Assess
    expect(() => loadConfig(withoutRole)).toThrow(ConfigError);
    expect(() => loadConfig(withoutRole)).toThrow(/OMICS_ROLE_ARN/);
  });
});
