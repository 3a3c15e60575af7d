import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export interface ManifestObjectContent {
  sizeBytes: number;
  eTag?: string;
  versionId?: string;
  /** Absent when the object is larger than `maxBytes`: it is never downloaded. */
  text?: string;
}

export interface ManifestObjectReader {
  read(
    bucket: string,
    key: string,
    options: { versionId?: string; maxBytes: number },
  ): Promise<ManifestObjectContent>;
}

export function makeS3ManifestReader(client: S3Client): ManifestObjectReader {
  return {
    async read(bucket, key, options) {
      const response = await client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: options.versionId }),
      );
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
