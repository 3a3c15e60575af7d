import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, EventType, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MANIFEST_SUFFIXES } from '../../functions/event-sources.js';
import { INTAKE_TIMEOUT_SECONDS } from '../function-settings.js';
import { acknowledgeWildcardResources } from '../nag.js';
import type { Notifications } from './completion.js';
import { failureQueue } from './failure-queue.js';
import { GwmFunction } from './gwm-function.js';
import { allowInputRestores, allowInputSizing } from './omics.js';

export interface IntakeProps {
  table: ITableV2;
  environment: Record<string, string>;
  notifications: Notifications;
  logRetention: RetentionDays;
  /** Keep the manifest bucket (and its access logs) when the stack is deleted. */
  retain: boolean;
  /** The allowed input prefixes: the intake sizes a batch's inputs there for its cost estimate. */
  inputPrefixes: readonly string[];
}

/** S3 invokes the intake asynchronously: a failed registration is retried, then kept here. */
const ASYNC_RETRY_ATTEMPTS = 2;
const ASYNC_MAX_EVENT_AGE = Duration.hours(6);

/**
 * The manifest bucket and the intake that registers what is uploaded to it: `.json` and `.csv`
 * keys notify the intake, which reads the object (the version that was uploaded) and writes the
 * batch and its launches, or a REJECTED batch and its notice.
 */
export class Intake extends Construct {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;
  readonly function: GwmFunction;
  readonly failures: Queue;

  constructor(scope: Construct, id: string, props: IntakeProps) {
    super(scope, id);
    const removalPolicy = props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.accessLogs = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy,
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "This bucket receives the manifest bucket's server access logs; logging it too would only log the logging.",
    });
    this.bucket = new Bucket(this, 'Manifests', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'manifests/',
      removalPolicy,
    });

    this.failures = failureQueue(this, 'Failures');
    this.function = new GwmFunction(this, 'Intake', {
      entry: 'on-manifest-uploaded.ts',
      description: 'Registers an uploaded manifest: a batch and its launches, or a rejected batch',
      environment: { ...props.environment, ...props.notifications.environment },
      timeout: Duration.seconds(INTAKE_TIMEOUT_SECONDS),
      memorySize: 1024,
      logRetention: props.logRetention,
      table: props.table,
      // Batch and launch items (BatchWriteItem), their release (UpdateItem), profiles and launches by batch (Query).
      // Launch items are written by putMany: a BatchGetItem of each group, then BatchWriteItem.
      tableAccess: {
        actions: ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'BatchGetItem', 'BatchWriteItem'],
      },
    });
    const manifests = this.bucket.arnForObjects('*');
    this.function.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [manifests] }),
    );
    acknowledgeWildcardResources(
      this.function.role,
      [manifests],
      "Manifests are uploaded under any key of gwm's own manifest bucket; the intake only reads them.",
    );
    allowInputSizing(this.function.role, props.inputPrefixes);
    allowInputRestores(this.function.role, props.inputPrefixes);
    props.notifications.grantSend(this.function.role);
    this.function.fn.configureAsyncInvoke({
      retryAttempts: ASYNC_RETRY_ATTEMPTS,
      maxEventAge: ASYNC_MAX_EVENT_AGE,
      onFailure: new SqsDestination(this.failures),
    });

    const destination = new LambdaDestination(this.function.fn);
    for (const suffix of MANIFEST_SUFFIXES) {
      this.bucket.addEventNotification(EventType.OBJECT_CREATED, destination, { suffix });
    }
    acknowledgeNotificationsHandler(this);
  }
}

/**
 * CDK configures bucket notifications at deploy time with a handler function of its own (one per
 * stack), whose role has the AWS managed policy for writing its logs.
 */
function acknowledgeNotificationsHandler(scope: Construct): void {
  const stack = Stack.of(scope);
  const handlers = stack.node.children.filter((child) =>
    child.node.id.startsWith('BucketNotificationsHandler'),
  );
  for (const handler of handlers) {
    Validations.of(handler).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        "CDK's own handler that applies the manifest bucket's notification configuration during deployment; the managed policy only lets it write its logs, and its other permission is s3:PutBucketNotification on that bucket.",
    });
  }
}
