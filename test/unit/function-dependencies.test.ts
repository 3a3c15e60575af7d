import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../domain/errors.js';
import { loadConfig } from '../../functions/adapters/config.js';
import { aggregatorDependencies } from '../../functions/dependencies/aggregator.js';
import { makeBase } from '../../functions/dependencies/base.js';
import { costCollectorDependencies } from '../../functions/dependencies/cost-collector.js';
import { launcherDependencies } from '../../functions/dependencies/launcher.js';
import { reconcilerDependencies } from '../../functions/dependencies/reconciler.js';
import { trackerDependencies } from '../../functions/dependencies/tracker.js';

const settings = {
  AWS_REGION: 'eu-west-1',
  TABLE_NAME: 'gwm',
  ALLOWED_READ_PREFIXES: 's3://lab-fastq/',
  ALLOWED_WRITE_PREFIXES: 's3://lab-results/',
  OMICS_ROLE_ARN: 'arn:aws:iam::123456789012:role/omics',
};
const COST_QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/gwm-costs';

const baseFor = (env: Record<string, string> = {}) =>
  makeBase(loadConfig({ ...settings, ...env }), { dynamo: new DynamoDBClient({ region: 'eu-west-1' }) });

describe("each function's dependencies", () => {
  it('send finished runs to the cost queue from the aggregator when the stack has one', () => {
    // Act
    const withQueue = aggregatorDependencies(baseFor({ COST_QUEUE_URL }));
    const withoutQueue = aggregatorDependencies(baseFor());
    // Assess
    expect(withQueue.costs?.send).toBeTypeOf('function');
    expect(withoutQueue.costs).toBeUndefined();
  });

  it('stop the cost collector at cold start without COST_QUEUE_URL, naming it', () => {
    // Act
    const wire = () => costCollectorDependencies(baseFor());
    // Assess
    expect(wire).toThrow(ConfigError);
    expect(wire).toThrow(/COST_QUEUE_URL/);
  });

  it('share the engine, the launcher and the tracker between functions wired on one base', () => {
    // Prepare
    const base = baseFor();
    // Act
    const launcher = launcherDependencies(base);
    const tracker = trackerDependencies(base);
    const reconciler = reconcilerDependencies(base);
    // Assess
    expect(reconciler.reconciler.launcher).toBe(launcher.launcher);
    expect(reconciler.reconciler.engine).toBe(tracker.tracker.engine);
    expect(launcher.launcher.engine).toBe(tracker.tracker.engine);
    expect(reconciler.reconciler.logs).toBe(tracker.tracker.logs);
  });
});
