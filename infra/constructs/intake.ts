import { Annotations, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  EventType,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { manifestCreatedPattern } from '../../functions/event-sources.js';
import { INTAKE_TIMEOUT_SECONDS } from '../function-settings.js';
import { StackEncryption } from './encryption.js';
import { EVENT_RETRIES, failureQueue, keepAsyncFailures } from './failure-queue.js';
import { GwmFunction } from './gwm-function.js';
import { allowManifestReads } from './manifest-access.js';
import type { Notifications } from './notifications.js';
import { allowInputRestores, allowInputSizing } from './omics.js';
import { eventPatternOf } from './rule-pattern.js';

export interface IntakeProps {
  table: ITableV2;
  environment: Record<string, string>;
  notifications: Notifications;
  logRetention: RetentionDays;
  /** Keep the manifest bucket (and its access logs) when the stack is deleted. */
  retain: boolean;
  /** The allowed input prefixes: the intake sizes a batch's inputs there for its cost estimate. */
  inputPrefixes: readonly string[];
  /** An existing bucket manifests are uploaded to (its EventBridge notifications on); absent: the stack makes one. */
  existingBucketName?: string;
  /** Manifests are taken under this key prefix only ('' for anywhere). */
  prefix: string;
}

/**
 * The manifest bucket and the intake that registers what is uploaded to it: manifest keys (.json,
 * .csv, .tsv in any case, under the configured prefix) reach the intake, which reads the object (the
 * version that was uploaded) and writes the batch and its launches, or a REJECTED batch and its notice.
 * The stack's own bucket notifies the intake directly; an existing bucket's uploads come through
 * EventBridge (S3's `Object Created` events), which must be turned on for that bucket.
 */
export class Intake extends Construct {
  readonly bucket: IBucket;
  /** The stack's own manifest bucket's access logs; none with an existing bucket. */
  readonly accessLogs?: Bucket;
  readonly function: GwmFunction;
  readonly failures: Queue;
  /** The rule taking an existing bucket's `Object Created` events to the intake. */
  readonly uploadsRule?: Rule;

  constructor(scope: Construct, id: string, props: IntakeProps) {
    super(scope, id);
    const own =
      props.existingBucketName === undefined
        ? this.ownBucket(props.retain, StackEncryption.of(this).manifestBucket)
        : undefined;
    this.bucket = own?.bucket ?? Bucket.fromBucketName(this, 'Manifests', props.existingBucketName ?? '');
    this.accessLogs = own?.accessLogs;

    this.failures = failureQueue(this, 'Failures');
    this.function = new GwmFunction(this, 'Intake', {
      entry: 'intake.entry.ts',
      description: 'Registers an uploaded manifest: a batch and its launches, or a rejected batch',
      environment: { ...props.environment, ...props.notifications.environment },
      timeout: Duration.seconds(INTAKE_TIMEOUT_SECONDS),
      memorySize: 1024,
      logRetention: props.logRetention,
      table: props.table,
      // Batch and launch items (BatchWriteItem), their release (UpdateItem), profiles and launches by batch (Query).
      // Launch items are written by putMany: a BatchGetItem of each group, then BatchWriteItem.
      // Its scheduled sweep: stopped registrations and held batches by status (gsi2).
      tableAccess: {
        actions: ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'BatchGetItem', 'BatchWriteItem'],
        indexes: ['gsi2'],
      },
    });
    allowManifestReads(this.function.role, this.bucket, props.prefix, 'the intake');
    allowInputSizing(this.function.role, props.inputPrefixes);
    allowInputRestores(this.function.role, props.inputPrefixes);
    props.notifications.grantSend(this.function.role);
    // S3 invokes the intake asynchronously: a failed registration is retried, then kept.
    keepAsyncFailures(this.function.fn, this.failures, EVENT_RETRIES);

    if (own !== undefined) {
      // S3's filters are case-sensitive and take one suffix each: the intake itself keeps manifest
      // names in any case (functions/event-sources.ts isManifestKey); the prefix narrows here too.
      own.bucket.addEventNotification(
        EventType.OBJECT_CREATED,
        new LambdaDestination(this.function.fn),
        ...(props.prefix === '' ? [] : [{ prefix: props.prefix }]),
      );
      acknowledgeNotificationsHandler(this);
      const notifications = own.bucket.node.tryFindChild('Notifications');
      if (notifications !== undefined) {
        Validations.of(notifications).acknowledge({
          id: 'HIPAA.Security-IAMNoInlinePolicy',
          reason:
            "CDK's policy for its deployment-time bucket notifications handler: s3:PutBucketNotification on the manifest bucket only, attached to that handler's role alone.",
        });
      }
    } else {
      this.uploadsRule = new Rule(this, 'ManifestUploads', {
        description: `S3 Object Created events of manifests in ${this.bucket.bucketName} to the gwm intake`,
        eventPattern: eventPatternOf(manifestCreatedPattern(this.bucket.bucketName)),
      });
      // Events EventBridge could not deliver wait with the invocations the intake gave up on.
      this.uploadsRule.addTarget(
        new LambdaFunction(this.function.fn, {
          retryAttempts: 8,
          maxEventAge: Duration.hours(24),
          deadLetterQueue: this.failures,
        }),
      );
      Annotations.of(this).addWarningV2(
        'gwm:manifest-bucket-eventbridge',
        `Manifests in the existing bucket ${this.bucket.bucketName} reach the intake only if the bucket sends its events to EventBridge (docs/deploy.md, "An existing manifest bucket").`,
      );
    }
  }

  private ownBucket(
    retain: boolean,
    key: StackEncryption['manifestBucket'],
  ): { bucket: Bucket; accessLogs: Bucket } {
    const removalPolicy = retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const accessLogs = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "This bucket receives the manifest bucket's server access logs; logging it too would only log the logging.",
    });
    acknowledgeHipaa(accessLogs, {
      'HIPAA.Security-S3DefaultEncryptionKMS':
        'S3 server access logs can only be delivered to a bucket encrypted with S3-managed keys (SSE-S3); SSE-KMS is not supported for a log destination.',
      'HIPAA.Security-S3BucketVersioningEnabled':
        'Access log objects are written once by S3 logging and never overwritten; they expire after a year, and versions would only keep deleted logs longer.',
      'HIPAA.Security-S3BucketReplicationEnabled':
        "The access logs of the manifest bucket are an audit trail within this region; replicating them is a choice for the account's logging setup, not for gwm.",
    });
    const bucket = new Bucket(this, 'Manifests', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      ...(key === undefined
        ? { encryption: BucketEncryption.S3_MANAGED }
        : { encryption: BucketEncryption.KMS, encryptionKey: key, bucketKeyEnabled: true }),
      enforceSSL: true,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'manifests/',
      removalPolicy,
    });
    acknowledgeHipaa(bucket, {
      'HIPAA.Security-S3BucketReplicationEnabled':
        'A manifest is registered into the table (point-in-time recovery on) within seconds of its upload, and the bucket keeps every version; a replica in another region would need a bucket outside this stack.',
      ...(key === undefined
        ? {
            'HIPAA.Security-S3DefaultEncryptionKMS':
              'Encrypted with S3-managed keys unless the deployment names a key of its own (encryption.manifestBucketKeyArn), which this bucket then uses.',
          }
        : {}),
    });
    return { bucket, accessLogs };
  }
}

function acknowledgeHipaa(scope: Construct, reasons: Record<string, string>): void {
  for (const [id, reason] of Object.entries(reasons)) Validations.of(scope).acknowledge({ id, reason });
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
