import { Match } from 'aws-cdk-lib/assertions';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { LAUNCHER_EVENT_SOURCE } from '../../functions/event-sources.js';
import { parseDeploySettings } from '../../infra/config.js';
import { effectiveFunctionConfig, launcherBudget } from '../../infra/function-settings.js';
import { STACK_OUTPUTS } from '../../infra/stack-outputs.js';
import {
  logicalIdOf,
  logicalIdsOf,
  resourceOf,
  resourcesOf,
  SETTINGS,
  synthesize,
  variablesOf,
} from './stack-fixture.js';

describe('the deployed stack', () => {
  // Prepare
  const { stack, template } = synthesize();
  const ids = logicalIdsOf(stack);
  const functions = resourcesOf(template, 'AWS::Lambda::Function');

  it('keeps manifests in a private, versioned, encrypted bucket reachable over TLS only', () => {
    // Assess
    const bucketId = logicalIdOf(stack, stack.intake.bucket);
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        LoggingConfiguration: Match.objectLike({ DestinationBucketName: Match.anyValue() }),
      }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('tells the intake about every key created in its own bucket; the intake picks the manifests by name, in any case', () => {
    // Assess
    const notifications = Object.entries(resourcesOf(template, 'Custom::S3BucketNotifications'));
    expect(notifications).toHaveLength(1);
    const [notificationsId] = notifications[0] ?? [''];
    const configurations = (
      resourceOf(template, 'Custom::S3BucketNotifications', notificationsId).Properties
        .NotificationConfiguration as {
        LambdaFunctionConfigurations: Array<{
          Events: string[];
          Filter: { Key: { FilterRules: Array<{ Name: string; Value: string }> } };
          LambdaFunctionArn: unknown;
        }>;
      }
    ).LambdaFunctionConfigurations;
    // S3 filters are case-sensitive (a `.json` filter misses FLOWCELL.JSON): no suffix filter here.
    expect(configurations).toHaveLength(1);
    expect(configurations[0]?.Filter).toBeUndefined();
    for (const configuration of configurations) {
      expect(configuration.Events).toEqual(['s3:ObjectCreated:*']);
      expect(configuration.LambdaFunctionArn).toEqual({ 'Fn::GetAtt': [ids.intake.function, 'Arn'] });
    }
  });

  it('runs every function on the pinned Node runtime, ARM64, with source maps and its own log group', () => {
    // Assess
    for (const key of Object.keys(ids) as Array<keyof typeof ids>) {
      const fn = resourceOf(template, 'AWS::Lambda::Function', ids[key].function).Properties;
      expect(fn.Runtime, key).toBe('nodejs24.x');
      expect(fn.Architectures, key).toEqual(['arm64']);
      expect(variablesOf(template, ids[key].function).NODE_OPTIONS, key).toBe('--enable-source-maps');
      const logGroup = (fn.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(resourceOf(template, 'AWS::Logs::LogGroup', logGroup).Properties.RetentionInDays, key).toBe(90);
    }
  });

  it('reserves concurrency where pacing needs it: the launchers sharing the bucket, one reconciler', () => {
    // Assess
    expect(functions[ids.launcher.function]?.Properties.ReservedConcurrentExecutions).toBe(2);
    expect(functions[ids.reconciler.function]?.Properties.ReservedConcurrentExecutions).toBe(1);
    const { template: wider } = synthesize({ launcherConcurrency: 3, startRun: { ratePerSecond: 2 } });
    wider.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Description: Match.stringLikeRegexp('starts their HealthOmics runs'),
      ReservedConcurrentExecutions: 3,
    });
  });

  it('gives the launcher a timeout covering a stream batch of launches in its lanes, each with its whole StartRun budget', () => {
    // Prepare
    const config = effectiveFunctionConfig(parseDeploySettings(SETTINGS));
    // Act
    const budget = launcherBudget(config, {
      batchSize: LAUNCHER_EVENT_SOURCE.batchSize,
      concurrentLaunchers: 2,
    });
    // Assess: 5 calls x (17 s for a token among 2 launchers x 8 lanes and the reconciler + 10 s
    // per call) + 15 s of backoff + 5 s
    expect(budget.perLaunchMs).toBe(155_000);
    expect(functions[ids.launcher.function]?.Properties.Timeout).toBe(budget.timeoutSeconds);
    // 2 launches a lane, 20 s of waiting for a registration to finish, 10 s of cold start
    expect(budget.timeoutSeconds).toBe(340);
  });

  it('has an encrypted notification topic with the configured e-mail subscriptions, and its own event bus', () => {
    // Assess
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ EnableKeyRotation: true, PendingWindowInDays: 7 }),
    });
    template.resourceCountIs('AWS::SNS::Subscription', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.org',
    });
    template.resourceCountIs('AWS::Events::EventBus', 1);
    const { template: quiet } = synthesize({ notificationEmails: [] });
    quiet.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('runs the reconciler and the sweeps of the intake, restore tracker and aggregator on one schedule, with retries and a dead-letter queue', () => {
    // Assess
    const target = (fn: string) =>
      Match.objectLike({
        Arn: { 'Fn::GetAtt': [fn, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 },
        DeadLetterConfig: {
          Arn: { 'Fn::GetAtt': [logicalIdOf(stack, stack.reconciler.undeliveredSchedules), 'Arn'] },
        },
      });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        target(ids.reconciler.function),
        target(ids.intake.function),
        target(ids.restoreTracker.function),
        target(ids.aggregator.function),
      ],
    });
    const { template: hourly } = synthesize({ reconcile: { everyMinutes: 60 } });
    hourly.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)' });
  });

  it('sends a failed reconciler run or completion sweep, or a tick older than its period, to the failure queue, without retrying it', () => {
    for (const fn of [ids.reconciler.function, ids.aggregator.function]) {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fn },
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 300,
        DestinationConfig: {
          OnFailure: {
            Destination: { 'Fn::GetAtt': [logicalIdOf(stack, stack.reconciler.failures), 'Arn'] },
          },
        },
      });
    }
  });

  it("sends alarms to the operators' topic and batch notices to the lab's: neither gets the other's mail", () => {
    const labTopic = { Ref: logicalIdOf(stack, stack.notifications.topic) };
    const operatorTopic = { Ref: logicalIdOf(stack, stack.notifications.operatorTopic) };
    const alarms = [
      ...Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')),
      ...Object.values(resourcesOf(template, 'AWS::CloudWatch::CompositeAlarm')),
    ];
    expect(alarms.length).toBeGreaterThan(20);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([operatorTopic]);
    // The functions that send notices are told the lab's topic
    expect(variablesOf(template, ids.aggregator.function).NOTIFY_TOPIC_ARN).toEqual(labTopic);
    template.hasOutput(STACK_OUTPUTS.operatorTopicArn, { Value: operatorTopic });
    template.hasOutput(STACK_OUTPUTS.notificationTopicArn, { Value: labTopic });
    // Each topic has its own subscribers
    const { template: both } = synthesize({ operatorEmails: ['oncall@example.org'] });
    const subscriptions = Object.values(resourcesOf(both, 'AWS::SNS::Subscription')).map(
      (subscription) => subscription.Properties,
    );
    expect(subscriptions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Endpoint: 'ops@example.org', TopicArn: labTopic }),
        expect.objectContaining({ Endpoint: 'oncall@example.org', TopicArn: operatorTopic }),
      ]),
    );
  });

  it('sends failed asynchronous invocations of the intake and the tracker to a queue after two retries', () => {
    // Assess
    for (const key of ['intake', 'tracker'] as const) {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: ids[key].function },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
      });
    }
  });

  it('keeps every failure queue encrypted and reachable over TLS only', () => {
    // Assess
    const all = resourcesOf(template, 'AWS::SQS::Queue');
    // The cost queue is work, not failures: kept 4 days, with its own dead-letter queue (test/infra/cost.test.ts).
    const costQueueId = logicalIdOf(stack, stack.costCollector.queue);
    expect(all[costQueueId]?.Properties.SqsManagedSseEnabled).toBe(true);
    const queues = Object.fromEntries(Object.entries(all).filter(([id]) => id !== costQueueId));
    // intake, launcher, completion, tracker, run events, schedule ticks, reconciler, cost collector,
    // restore tracker, restore events
    expect(Object.keys(queues)).toHaveLength(10);
    for (const queue of Object.values(queues)) {
      expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
      expect(queue.Properties.MessageRetentionPeriod).toBe(14 * 24 * 60 * 60);
    }
    const tlsOnly = Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy')).filter((policy) =>
      (policy.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement.some(
        (statement) =>
          statement.Effect === 'Deny' &&
          JSON.stringify(statement.Condition) ===
            JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
      ),
    );
    expect(tlsOnly).toHaveLength(11);
  });

  it('keeps the table and the buckets when the stack is deleted, and only them; nothing in a throwaway stack', () => {
    // Prepare
    const retained = (resources: Record<string, { Type: string; DeletionPolicy?: string }>) =>
      Object.entries(resources)
        .filter(([, resource]) => resource.DeletionPolicy === 'Retain')
        .map(([id, resource]) => `${resource.Type} ${id}`)
        .sort();
    const { template: throwaway } = synthesize({ removalPolicy: 'destroy' });
    // Assess
    expect(retained(template.toJSON().Resources)).toEqual(
      [
        `AWS::DynamoDB::GlobalTable ${logicalIdOf(stack, stack.launchTable.table)}`,
        `AWS::S3::Bucket ${logicalIdOf(stack, stack.intake.bucket)}`,
        `AWS::S3::Bucket ${logicalIdOf(stack, stack.intake.accessLogs as Bucket)}`,
        // Each function's log group: what happened to the launches the table keeps
        ...Object.values(resourcesOf(template, 'AWS::Lambda::Function')).flatMap((fn) => {
          const group = (fn.Properties.LoggingConfig as { LogGroup?: { Ref: string } } | undefined)?.LogGroup;
          return group ? [`AWS::Logs::LogGroup ${group.Ref}`] : [];
        }),
      ].sort(),
    );
    expect(retained(template.toJSON().Resources).filter((id) => id.includes('LogGroup'))).toHaveLength(7);
    expect(retained(throwaway.toJSON().Resources)).toEqual([]);
  });

  it('emits exactly the outputs the gwm CLI reads', () => {
    // Assess
    expect(Object.keys(template.toJSON().Outputs).sort()).toEqual(Object.values(STACK_OUTPUTS).sort());
    template.hasOutput(STACK_OUTPUTS.tableName, {
      Value: { Ref: logicalIdOf(stack, stack.launchTable.table) },
    });
    template.hasOutput(STACK_OUTPUTS.manifestBucket, {
      Value: { Ref: logicalIdOf(stack, stack.intake.bucket) },
    });
    // The failure queues `gwm redrive <consumer>` reads: the stream mappings' on-failure destinations
    template.hasOutput(STACK_OUTPUTS.launcherFailureQueueUrl, {
      Value: { Ref: logicalIdOf(stack, stack.launcher.failures) },
    });
    template.hasOutput(STACK_OUTPUTS.aggregatorFailureQueueUrl, {
      Value: { Ref: logicalIdOf(stack, stack.aggregator.failures) },
    });
    template.hasOutput(STACK_OUTPUTS.dashboardUrl, {
      Value: {
        'Fn::Join': [
          '',
          Match.arrayWith([
            Match.stringLikeRegexp('console.aws.amazon.com/cloudwatch'),
            { Ref: logicalIdOf(stack, stack.observability.dashboard) },
          ]),
        ],
      },
    });
  });
  it('tags every resource that takes tags for cost allocation: gwm, the stack, and the tags of the settings', () => {
    // Prepare
    const { template: tagged } = synthesize({ tags: { 'cost-centre': 'genomics-core' } });
    const resources = Object.values(
      tagged.toJSON().Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>,
    );
    const tagsOf = (properties: Record<string, unknown> = {}): unknown => {
      // A global table's tags are its replicas'
      const replicas = properties.Replicas as Array<{ Tags?: unknown }> | undefined;
      return replicas ? replicas[0]?.Tags : properties.Tags;
    };
    const asPairs = (tags: unknown): Record<string, string> =>
      Array.isArray(tags)
        ? Object.fromEntries(
            (tags as Array<{ Key: string; Value: string }>).map((tag) => [tag.Key, tag.Value]),
          )
        : ((tags ?? {}) as Record<string, string>);
    const taggable = [
      'AWS::DynamoDB::GlobalTable',
      'AWS::Lambda::Function',
      'AWS::Logs::LogGroup',
      'AWS::S3::Bucket',
      'AWS::SQS::Queue',
      'AWS::SNS::Topic',
      'AWS::KMS::Key',
      'AWS::IAM::Role',
      'AWS::Events::EventBus',
      'AWS::Events::Rule',
      'AWS::CloudWatch::Alarm',
    ];
    // Assess
    for (const type of taggable) {
      const ofType = resources.filter((resource) => resource.Type === type);
      expect(ofType.length, type).toBeGreaterThan(0);
      for (const resource of ofType)
        expect(asPairs(tagsOf(resource.Properties)), type).toMatchObject({
          application: 'gwm',
          'gwm:stack': 'Test',
          'cost-centre': 'genomics-core',
        });
    }
  });
});
