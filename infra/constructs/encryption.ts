import { Aws, Stack } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { Construct, type IConstruct } from 'constructs';
import type { DeploySettings } from '../config.js';

const ID = 'Encryption';

/**
 * The customer-managed KMS keys a deployment names (deploy setting `encryption`), imported by ARN:
 * the stack neither creates nor changes them. One per stack, found by the constructs that encrypt
 * with them or grant their use (`StackEncryption.of(scope)`); a stack without one encrypts with
 * AWS-owned or AWS-managed keys.
 */
export class StackEncryption extends Construct {
  readonly table?: IKey;
  readonly manifestBucket?: IKey;
  readonly queues?: IKey;
  readonly logGroups?: IKey;
  /** Keys of the SSE-KMS buckets under the allowed input and output prefixes. */
  readonly dataBuckets: readonly IKey[];

  constructor(stack: Stack, settings: DeploySettings['encryption']) {
    super(stack, ID);
    const imported = (id: string, arn: string | undefined) =>
      arn === undefined ? undefined : Key.fromKeyArn(this, id, arn);
    this.table = imported('TableKey', settings.tableKeyArn);
    this.manifestBucket = imported('ManifestBucketKey', settings.manifestBucketKeyArn);
    this.queues = imported('QueueKey', settings.queueKeyArn);
    this.logGroups = imported('LogGroupKey', settings.logGroupKeyArn);
    this.dataBuckets = [...new Set(settings.dataBucketKeyArns)].map((arn, index) =>
      Key.fromKeyArn(this, `DataBucketKey${index}`, arn),
    );
  }

  /** The stack's keys; none (AWS-owned and AWS-managed encryption) when the stack has no `StackEncryption`. */
  static of(
    scope: IConstruct,
  ): Pick<StackEncryption, 'table' | 'manifestBucket' | 'queues' | 'logGroups' | 'dataBuckets'> {
    const found = Stack.of(scope).node.tryFindChild(ID);
    return found instanceof StackEncryption ? found : { dataBuckets: [] };
  }
}

/**
 * `actions` on `keys` only when S3 of this region calls KMS for the principal (reading or writing
 * an SSE-KMS object), never directly.
 */
export function allowKeysThroughS3(
  grantee: IGrantable,
  keys: readonly IKey[],
  actions: ReadonlyArray<'kms:Decrypt' | 'kms:GenerateDataKey'>,
): void {
  if (keys.length === 0) return;
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: [...actions],
      resources: keys.map((key) => key.keyArn),
      conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
    }),
  );
}
