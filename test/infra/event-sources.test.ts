import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AGGREGATOR_EVENT_SOURCE,
  LAUNCHER_EVENT_SOURCE,
  RESTORE_COMPLETED_RULE,
  RUN_STATUS_RULE,
} from '../../functions/event-sources.js';
import { logicalIdOf, logicalIdsOf, resourcesOf, synthesize } from './stack-fixture.js';

interface Mapping {
  FunctionName: { Ref: string };
  EventSourceArn: unknown;
  FilterCriteria: { Filters: Array<{ Pattern: string }> };
  BatchSize: number;
  StartingPosition: string;
  BisectBatchOnFunctionError: boolean;
  MaximumRetryAttempts: number;
  MaximumRecordAgeInSeconds: number;
  FunctionResponseTypes: string[];
  DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [string, string] } } };
}

interface RuleTarget {
  Arn: unknown;
  RetryPolicy?: { MaximumRetryAttempts: number; MaximumEventAgeInSeconds: number };
  DeadLetterConfig?: { Arn: { 'Fn::GetAtt': [string, string] } };
}

describe('how events reach the deployed functions', () => {
  // Prepare
  const { stack, template } = synthesize();
  const ids = logicalIdsOf(stack);
  const allMappings = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping')).map(
    (mapping) => mapping.Properties as unknown as Mapping,
  );
  // The table's stream consumers; the cost collector reads its queue (test/infra/cost.test.ts).
  const mappings = allMappings.filter((mapping) =>
    JSON.stringify(mapping.EventSourceArn).includes('StreamArn'),
  );
  const mappingOf = (functionId: string) => {
    const found = mappings.find((mapping) => mapping.FunctionName.Ref === functionId);
    if (!found) throw new Error(`no event source mapping for ${functionId}`);
    return found;
  };
  const rules = Object.values(resourcesOf(template, 'AWS::Events::Rule'));
  const queues = resourcesOf(template, 'AWS::SQS::Queue');
  /** The rules whose event pattern names `source` and nothing else. */
  const rulesFrom = (source: string) =>
    rules.filter(
      (rule) =>
        JSON.stringify((rule.Properties.EventPattern as { source?: unknown } | undefined)?.source) ===
        JSON.stringify([source]),
    );
  /** A rule target invoking `functionId` with the retry policy of the rule's shared settings. */
  const targetOf = (functionId: string, settings: { retryAttempts: number; maxEventAgeSeconds: number }) =>
    expect.objectContaining({
      Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
      RetryPolicy: {
        MaximumRetryAttempts: settings.retryAttempts,
        MaximumEventAgeInSeconds: settings.maxEventAgeSeconds,
      },
    });

  it('filters the stream for each consumer with the shared module’s patterns', () => {
    // Act
    const launcher = mappingOf(ids.launcher.function);
    const completion = mappingOf(ids.aggregator.function);
    // Assess
    expect(launcher.FilterCriteria.Filters.map((filter) => JSON.parse(filter.Pattern))).toEqual(
      LAUNCHER_EVENT_SOURCE.filterPatterns,
    );
    expect(completion.FilterCriteria.Filters.map((filter) => JSON.parse(filter.Pattern))).toEqual(
      AGGREGATOR_EVENT_SOURCE.filterPatterns,
    );
    expect(mappings).toHaveLength(2);
    expect(allMappings).toHaveLength(3);
  });

  it('reads the table’s stream with the shared batch sizes, retries and record ages', () => {
    // Assess
    for (const [functionId, source] of [
      [ids.launcher.function, LAUNCHER_EVENT_SOURCE],
      [ids.aggregator.function, AGGREGATOR_EVENT_SOURCE],
    ] as const) {
      const mapping = mappingOf(functionId);
      expect(mapping.EventSourceArn).toEqual({
        'Fn::GetAtt': [logicalIdOf(stack, stack.launchTable.table), 'StreamArn'],
      });
      expect(mapping).toMatchObject({
        BatchSize: source.batchSize,
        StartingPosition: 'TRIM_HORIZON',
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: source.maxRetryAttempts,
        MaximumRecordAgeInSeconds: source.maxRecordAgeSeconds,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    }
  });

  it('gives every event source mapping bisect, bounded retries and record age, and a queue for what fails', () => {
    // Assess
    for (const mapping of mappings) {
      expect(mapping.BisectBatchOnFunctionError).toBe(true);
      expect(mapping.MaximumRetryAttempts).toBeGreaterThanOrEqual(0);
      expect(mapping.MaximumRetryAttempts).toBeLessThanOrEqual(10);
      expect(mapping.MaximumRecordAgeInSeconds).toBeGreaterThan(0);
      expect(mapping.MaximumRecordAgeInSeconds).toBeLessThanOrEqual(24 * 60 * 60);
      const [queueId] = mapping.DestinationConfig.OnFailure.Destination['Fn::GetAtt'];
      expect(queues[queueId], `${mapping.FunctionName.Ref} on-failure destination`).toBeDefined();
    }
  });

  it('sends HealthOmics run status changes on the default bus to the tracker with the shared pattern', () => {
    // Act
    const runStatus = rulesFrom('aws.omics');
    // Assess
    expect(runStatus).toHaveLength(1);
    const [rule] = runStatus;
    expect(rule?.Properties.EventPattern).toEqual(RUN_STATUS_RULE.eventPattern);
    expect(rule?.Properties.EventBusName).toBeUndefined();
    expect(rule?.Properties.Targets).toEqual([targetOf(ids.tracker.function, RUN_STATUS_RULE)]);
  });

  it('sends S3 restore-completed events of the input buckets to the restore tracker with the shared pattern', () => {
    // Act
    const restores = rulesFrom('aws.s3');
    // Assess
    expect(restores).toHaveLength(1);
    const [rule] = restores;
    expect(rule?.Properties.EventPattern).toEqual({
      ...RESTORE_COMPLETED_RULE.eventPattern,
      detail: { bucket: { name: ['lab-inputs', 'lab-references'] } },
    });
    expect(rule?.Properties.EventBusName).toBeUndefined();
    expect(rule?.Properties.Targets).toEqual([targetOf(ids.restoreTracker.function, RESTORE_COMPLETED_RULE)]);
  });

  it('gives every rule target a retry policy and a dead-letter queue that lets only its rule in', () => {
    // Assess
    expect(rules).toHaveLength(3);
    const queuePolicies = Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy'));
    for (const rule of rules) {
      const ruleId = Object.entries(resourcesOf(template, 'AWS::Events::Rule')).find(
        ([, r]) => r === rule,
      )?.[0];
      for (const target of rule.Properties.Targets as RuleTarget[]) {
        expect(target.RetryPolicy?.MaximumRetryAttempts).toBeGreaterThan(0);
        const queueId = target.DeadLetterConfig?.Arn['Fn::GetAtt'][0] ?? '';
        expect(queues[queueId], `${ruleId} dead-letter queue`).toBeDefined();
        const allowsRule = queuePolicies.some((policy) =>
          (policy.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement.some(
            (statement) =>
              statement.Effect === 'Allow' &&
              JSON.stringify(statement.Principal) === JSON.stringify({ Service: 'events.amazonaws.com' }) &&
              JSON.stringify(statement.Condition) ===
                JSON.stringify({ ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } }),
          ),
        );
        expect(allowsRule, `${ruleId} may send to its dead-letter queue`).toBe(true);
      }
    }
  });

  it('keeps no copy of the event patterns in infra/: the shared module is the only place they are written', () => {
    // Prepare
    const infraDir = join(import.meta.dirname, '../../infra');
    const sources = listTypeScript(infraDir).filter((file) => !file.includes(`${join('infra', 'local')}`));
    // Act
    const copies = sources.filter((file) => {
      const text = readFileSync(file, 'utf8');
      return /['"]aws\.omics['"]|Run Status Change['"]|equals-ignore-case|['"]NewImage['"]|NewImage:/.test(
        text,
      );
    });
    // Assess
    expect(sources.length).toBeGreaterThan(5);
    expect(copies).toEqual([]);
  });
});

function listTypeScript(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listTypeScript(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}
