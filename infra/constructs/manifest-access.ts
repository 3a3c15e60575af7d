import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { acknowledgeWildcardResources } from '../nag.js';
import { allowKeysThroughS3, StackEncryption } from './encryption.js';

/**
 * Reading manifests (any version) under the manifest prefix of the manifest bucket, and decrypting
 * them when the deployment names the bucket's key (`encryption.manifestBucketKeyArn`).
 */
export function allowManifestReads(role: IRole, bucket: IBucket, prefix: string, who: string): void {
  const manifests = bucket.arnForObjects(`${prefix}*`);
  role.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [manifests] }),
  );
  acknowledgeWildcardResources(
    role,
    [manifests],
    `Manifests are uploaded under any key of the manifest bucket's manifest prefix; ${who} only reads them.`,
  );
  const key = StackEncryption.of(role).manifestBucket;
  if (key !== undefined) allowKeysThroughS3(role, [key], ['kms:Decrypt']);
}
