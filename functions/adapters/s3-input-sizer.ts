import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { forEachConcurrently } from '../../domain/concurrency.js';
import type { InputSizer } from '../../domain/ports.js';
import { parseS3Uri } from '../../domain/s3-uri.js';

export interface S3InputSizerOptions {
  /** HeadObject and ListObjectsV2 calls in flight at once: S3 takes thousands per second per prefix. */
  concurrency?: number;
  /** Objects summed under one prefix input at most (ListObjectsV2 pages of 1,000). */
  maxObjectsPerPrefix?: number;
}

/**
 * Sizes inputs with HeadObject, a few dozen calls at a time. A URI ending in `/`, or one that names
 * no object, is taken as a prefix and sized as the sum of the objects under it (ListObjectsV2).
 * An input that cannot be sized (missing, refused, S3 failing) is left out of the answer: rejecting a manifest
 * for a missing input is not the sizer's call.
 */
export function makeS3InputSizer(client: S3Client, options: S3InputSizerOptions = {}): InputSizer {
  const concurrency = options.concurrency ?? 32;
  const maxObjects = options.maxObjectsPerPrefix ?? 10_000;

  async function head(bucket: string, key: string): Promise<number | undefined> {
    try {
      const response = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return response.ContentLength;
    } catch {
      // Missing, refused, or S3 still failing after the SDK's own retries: unknown, not fatal.
      return undefined;
    }
  }

  async function sumPrefix(bucket: string, prefix: string): Promise<number | undefined> {
    let total = 0;
    let objects = 0;
    let token: string | undefined;
    try {
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) {
          total += object.Size ?? 0;
          objects++;
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token && objects < maxObjects);
    } catch {
      return undefined;
    }
    // A prefix cut short is not a size: better unknown than too small.
    return objects > 0 && !token ? total : undefined;
  }

  async function sizeOf(uri: string): Promise<number | undefined> {
    const location = parseS3Uri(uri);
    if (!location) return undefined;
    const { bucket, key } = location;
    if (key === '' || key.endsWith('/')) return sumPrefix(bucket, key);
    return (await head(bucket, key)) ?? (await sumPrefix(bucket, `${key}/`));
  }

  return {
    async sizes(uris) {
      const unique = [...new Set(uris)];
      const sizes = new Map<string, number>();
      await forEachConcurrently(unique, concurrency, async (uri) => {
        const size = await sizeOf(uri);
        if (size !== undefined) sizes.set(uri, size);
      });
      return sizes;
    },
  };
}
