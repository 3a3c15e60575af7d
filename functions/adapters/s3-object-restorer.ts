import { RestoreObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { RestoreRefusedError } from '../../domain/errors.js';
import type { ObjectRestorer } from '../../domain/ports.js';
import { parseS3Uri } from '../../domain/s3-uri.js';

interface S3Failure {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** S3 answers that end a restore for good: the object is gone, not archived, or not gwm's to restore. */
const REFUSALS = new Set([
  'NoSuchKey',
  'NotFound',
  'NoSuchBucket',
  'InvalidObjectState',
  'AccessDenied',
  'InvalidArgument',
]);

/**
 * RestoreObject: 202 a restore started, 200 a restored copy exists (its expiry is extended),
 * 409 RestoreAlreadyInProgress (counted as success). Days are left out for the Intelligent-Tiering
 * archive tiers, which S3 moves back to frequent access; it refuses a request that sets them.
 */
export function makeS3ObjectRestorer(client: S3Client): ObjectRestorer {
  return {
    async restore(uri, request) {
      const location = parseS3Uri(uri);
      if (!location) throw new RestoreRefusedError(`${uri} is not an S3 URI`);
      const tiered = request.storageClass === 'INTELLIGENT_TIERING';
      try {
        const response = await client.send(
          new RestoreObjectCommand({
            Bucket: location.bucket,
            Key: location.key,
            RestoreRequest: {
              ...(!tiered && { Days: request.days }),
              GlacierJobParameters: { Tier: request.tier },
            },
          }),
        );
        return response.$metadata.httpStatusCode === 200 ? 'restored' : 'started';
      } catch (error) {
        const failure = (error ?? {}) as S3Failure;
        const code = failure.Code ?? failure.name ?? 'Error';
        if (code === 'RestoreAlreadyInProgress' || failure.$metadata?.httpStatusCode === 409)
          return 'in-progress';
        if (REFUSALS.has(code))
          throw new RestoreRefusedError(
            `S3 refused RestoreObject: ${code}${failure.message && failure.message !== code ? `: ${failure.message}` : ''}`,
          );
        throw error;
      }
    },
  };
}
