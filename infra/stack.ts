import { CfnOutput, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import { type IRole, Role } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { LAUNCHER_EVENT_SOURCE } from '../functions/event-sources.js';
import type { DeploySettings } from './config.js';
import { settingsEnvironment } from './config.js';
import { Aggregator } from './constructs/aggregator.js';
import { CostCollector } from './constructs/cost-collector.js';
import { StackEncryption } from './constructs/encryption.js';
import { Intake } from './constructs/intake.js';
import { LaunchTable } from './constructs/launch-table.js';
import { Launcher } from './constructs/launcher.js';
import { Notifications } from './constructs/notifications.js';
import { Observability } from './constructs/observability.js';
import { OmicsServiceRole } from './constructs/omics.js';
import { Reconciler } from './constructs/reconciler.js';
import { RestoreTracker } from './constructs/restore-tracker.js';
import { TeamAccess } from './constructs/team-access.js';
import { Tracker } from './constructs/tracker.js';
import {
  checkedLauncherBudget,
  effectiveFunctionConfig,
  reconcilerTimeoutSeconds,
} from './function-settings.js';
import { applyRoleSettings } from './role-settings.js';
import { STACK_OUTPUTS } from './stack-outputs.js';

export interface GwmStackProps extends StackProps {
  settings: DeploySettings;
}

/**
 * The deployed gwm: the table and its stream consumers (launcher, aggregator), the
 * manifest bucket and its intake, the run tracker and the reconciler, notifications, and
 * the dashboard and alarms. Its outputs are what `gwm --stack <name>` reads.
 */
export class GwmStack extends Stack {
  readonly encryption: StackEncryption;
  readonly launchTable: LaunchTable;
  readonly serviceRole: IRole;
  readonly notifications: Notifications;
  readonly intake: Intake;
  readonly launcher: Launcher;
  readonly tracker: Tracker;
  readonly reconciler: Reconciler;
  readonly aggregator: Aggregator;
  readonly costCollector: CostCollector;
  readonly restoreTracker: RestoreTracker;
  readonly teamAccess: TeamAccess;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: GwmStackProps) {
    // Where the settings say, unless the caller says otherwise (infra/app.ts passes the same).
    super(scope, id, { env: { account: props.settings.account, region: props.settings.region }, ...props });
    // S3 server access logs are let into their bucket by a bucket policy, not the legacy ACL.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const { settings } = props;
    // The functions' own schema checks the settings (and supplies its defaults) before anything is built.
    const functionConfig = effectiveFunctionConfig(settings);
    const launcherBudget = checkedLauncherBudget(functionConfig, {
      batchSize: LAUNCHER_EVENT_SOURCE.batchSize,
      concurrentLaunchers: settings.launcherConcurrency,
    });
    const retain = settings.removalPolicy === 'retain';
    // Cost allocation: every resource says it is gwm's, which stack's, and whatever the settings add.
    Tags.of(this).add('application', 'gwm');
    Tags.of(this).add('gwm:stack', this.stackName);
    for (const [key, value] of Object.entries(settings.tags)) Tags.of(this).add(key, value);
    const logRetention = settings.logRetentionDays;
    // Before anything that encrypts: the constructs find the deployment's keys here.
    this.encryption = new StackEncryption(this, settings.encryption);
    applyRoleSettings(this, settings);

    this.launchTable = new LaunchTable(this, 'Launches', {
      retain,
      deletionProtection: settings.deletionProtection ?? retain,
    });
    const table = this.launchTable.table;

    this.serviceRole =
      settings.omicsServiceRoleArn === undefined
        ? new OmicsServiceRole(this, 'OmicsServiceRole', {
            inputPrefixes: settings.allowedInputPrefixes,
            outputPrefixes: settings.allowedOutputPrefixes,
            containerRepositories: settings.containerRepositories,
          }).role
        : Role.fromRoleArn(this, 'OmicsServiceRole', settings.omicsServiceRoleArn, { mutable: false });

    const environment = {
      ...settingsEnvironment(settings),
      TABLE_NAME: table.tableName,
      OMICS_ROLE_ARN: this.serviceRole.roleArn,
    };

    this.notifications = new Notifications(this, 'Notifications', {
      emails: settings.notificationEmails,
      operatorEmails: settings.operatorEmails,
    });
    this.intake = new Intake(this, 'Intake', {
      table,
      environment,
      notifications: this.notifications,
      logRetention,
      retain,
      inputPrefixes: settings.allowedInputPrefixes,
      existingBucketName: settings.manifests.bucketName,
      prefix: settings.manifests.prefix,
    });
    this.launcher = new Launcher(this, 'Launcher', {
      table,
      environment,
      serviceRole: this.serviceRole,
      logRetention,
      timeoutSeconds: launcherBudget.timeoutSeconds,
      concurrency: settings.launcherConcurrency,
      inputPrefixes: settings.allowedInputPrefixes,
    });
    this.tracker = new Tracker(this, 'Tracker', { table, environment, logRetention });
    this.reconciler = new Reconciler(this, 'Reconciler', {
      table,
      environment,
      serviceRole: this.serviceRole,
      logRetention,
      reconcileEveryMinutes: settings.reconcile.everyMinutes,
      reconcilerTimeoutSeconds: reconcilerTimeoutSeconds(functionConfig),
      inputPrefixes: settings.allowedInputPrefixes,
    });
    this.aggregator = new Aggregator(this, 'Aggregator', {
      table,
      environment,
      notifications: this.notifications,
      outputPrefixes: settings.allowedOutputPrefixes,
      logRetention,
    });

    this.costCollector = new CostCollector(this, 'CostCollector', {
      table,
      environment,
      logRetention,
      aggregator: this.aggregator.function,
      priceListFile: settings.priceListFile,
    });

    this.restoreTracker = new RestoreTracker(this, 'RestoreTracker', {
      table,
      environment,
      logRetention,
      inputPrefixes: settings.allowedInputPrefixes,
    });

    // The schedule's ticks also run the sweeps of the functions that own what they repair:
    // registrations (intake), restores (restore tracker), notifications and quiet batches (aggregator).
    this.reconciler.runOnSchedule(this.intake.function.fn);
    this.reconciler.runOnSchedule(this.restoreTracker.function.fn);
    this.reconciler.runOnSchedule(this.aggregator.function.fn);
    this.reconciler.scheduledOnly(this.aggregator.function.fn);

    this.teamAccess = new TeamAccess(this, 'TeamAccess', { table, manifestBucket: this.intake.bucket });

    const functions = {
      intake: this.intake.function,
      launcher: this.launcher.function,
      tracker: this.tracker.function,
      aggregator: this.aggregator.function,
      reconciler: this.reconciler.function,
      costCollector: this.costCollector.function,
      restoreTracker: this.restoreTracker.function,
    };
    // The functions' logs say what happened to the launches the table keeps: kept with it.
    for (const fn of Object.values(functions))
      fn.logGroup.applyRemovalPolicy(retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);
    this.observability = new Observability(this, 'Observability', {
      functions: {
        intake: functions.intake.fn,
        launcher: functions.launcher.fn,
        tracker: functions.tracker.fn,
        aggregator: functions.aggregator.fn,
        reconciler: functions.reconciler.fn,
        costCollector: functions.costCollector.fn,
        restoreTracker: functions.restoreTracker.fn,
      },
      streamConsumers: [
        { name: 'launcher', fn: functions.launcher.fn, launchQueue: true },
        { name: 'aggregator', fn: functions.aggregator.fn },
      ],
      deadLetterQueues: {
        intake: this.intake.failures,
        launcher: this.launcher.failures,
        aggregator: this.aggregator.failures,
        tracker: this.tracker.failures,
        runStatusEvents: this.tracker.undeliveredEvents,
        reconcilerSchedule: this.reconciler.undeliveredSchedules,
        reconciler: this.reconciler.failures,
        costCollector: this.costCollector.failures,
        restoreTracker: this.restoreTracker.failures,
        restoreEvents: this.restoreTracker.undeliveredEvents,
      },
      alarmTopic: this.notifications.operatorTopic,
      notificationTopic: this.notifications.topic,
      table,
      launcherConcurrency: settings.launcherConcurrency,
      logGroups: Object.values(functions).map((fn) => fn.logGroup),
      reconcilerSchedule: { everyMinutes: settings.reconcile.everyMinutes },
    });

    new CfnOutput(this, STACK_OUTPUTS.tableName, {
      value: table.tableName,
      description: 'The gwm table (batches, launches, workflow profiles)',
    });
    const prefix = settings.manifests.prefix;
    new CfnOutput(this, STACK_OUTPUTS.manifestBucket, {
      value: this.intake.bucket.bucketName,
      description:
        `Upload manifests (.json, .csv, .tsv) here${prefix === '' ? '' : `, under ${prefix}`}` +
        (settings.manifests.bucketName === undefined
          ? ''
          : ' (an existing bucket: its EventBridge notifications must be on)'),
    });
    new CfnOutput(this, STACK_OUTPUTS.notificationTopicArn, {
      value: this.notifications.topic.topicArn,
      description: 'Batch notices for the lab; subscribe to it (filter on the team attribute for one team)',
    });
    new CfnOutput(this, STACK_OUTPUTS.operatorTopicArn, {
      value: this.notifications.operatorTopic.topicArn,
      description: 'Alarms for operators (the gwm-healthy composite alarm and each alarm under it)',
    });
    new CfnOutput(this, STACK_OUTPUTS.eventBusName, {
      value: this.notifications.bus.eventBusName,
      description: "gwm's own events (source gwm)",
    });
    new CfnOutput(this, STACK_OUTPUTS.teamMemberPolicyArn, {
      value: this.teamAccess.policy.managedPolicyArn,
      description:
        'Attach to a role tagged gwm-team=<team>: uploads under teams/<team>/, reads its own launches',
    });
    new CfnOutput(this, STACK_OUTPUTS.launcherFailureQueueUrl, {
      value: this.launcher.failures.queueUrl,
      description: 'Stream records the launcher gave up on; `gwm redrive launcher` re-drives their launches',
    });
    new CfnOutput(this, STACK_OUTPUTS.aggregatorFailureQueueUrl, {
      value: this.aggregator.failures.queueUrl,
      description: 'Stream records the aggregator gave up on; `gwm redrive aggregator` re-drives them',
    });
    new CfnOutput(this, STACK_OUTPUTS.dashboardUrl, {
      value: this.observability.dashboardUrl,
      description: 'The gwm dashboard',
    });
  }
}
