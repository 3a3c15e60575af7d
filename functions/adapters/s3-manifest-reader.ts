import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { ManifestGoneError } from '../../domain/errors.js';
import type { ManifestObjectReader } from '../../domain/ports.js';

// Deleted, or overwritten under a version that was then deleted.
const GONE = new Set(['NoSuchKey', 'NoSuchVersion', 'NotFound']);

export function makeS3ManifestReader(client: S3Client): ManifestObjectReader {
  return {
    async read(bucket, key, options) {
      let response: GetObjectCommandOutput;
      try {
        response = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: options.versionId }),
        );
      } catch (error) {
        if (!GONE.has((error as { name?: string } | null)?.name ?? '')) throw error;
        const version = options.versionId ? ` (version ${options.versionId})` : '';
        throw new ManifestGoneError(`s3://${bucket}/${key}${version} no longer exists`, { cause: error });
      }
      const sizeBytes = response.ContentLength ?? 0;
      const eTag = response.ETag?.replaceAll('"', '');
      if (sizeBytes > options.maxBytes) {
        // Stop the download: the size alone decides.
        (response.Body as { destroy?: () => void } | undefined)?.destroy?.();
        return { sizeBytes, eTag, versionId: response.VersionId };
      }
      const text = (await response.Body?.transformToString('utf-8')) ?? '';
      return {
        sizeBytes: Math.max(sizeBytes, Buffer.byteLength(text)),
        eTag,
        versionId: response.VersionId,
        text,
      };
    },
  };
}

/** S3 event keys are form-URL-encoded: `+` is a space, `%XX` an escaped byte. */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}
