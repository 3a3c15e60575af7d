import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { forEachConcurrently } from '../../domain/concurrency.js';
import { sizesOf } from '../../domain/inputs/input-problems.js';
import type { InputState } from '../../domain/inputs/input-state.js';
import type { InputInspector, InputSizer } from '../../domain/ports.js';
import { parseS3Uri } from '../../domain/s3-uri.js';

export interface S3InputInspectorOptions {
  /** HeadObject and ListObjectsV2 calls in flight at once: S3 takes thousands per second per prefix. */
  concurrency?: number;
  /** Objects summed under one folder input at most (ListObjectsV2 pages of 1,000). */
  maxObjectsPerPrefix?: number;
  /**
   * Inputs in one folder from which the folder is listed instead of calling HeadObject on each
   * (a flowcell's 20,000 FASTQs are 20 ListObjectsV2 pages, not 20,000 calls). Default 16.
   */
  listFrom?: number;
}

/** Storage classes whose objects are read with HeadObject even when listed: Restore and ArchiveStatus are only there. */
const HEAD_CLASSES = new Set(['GLACIER', 'DEEP_ARCHIVE', 'INTELLIGENT_TIERING']);

interface S3Failure {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

type Answer = 'not-found' | 'refused' | 'failing';

/** 404 is "not there", 403 is "not for gwm" (the role, a bucket policy or a KMS key), the rest is S3 failing. */
function classify(error: unknown): { answer: Answer; reason: string } {
  const failure = (error ?? {}) as S3Failure;
  const status = failure.$metadata?.httpStatusCode;
  const code = failure.Code ?? failure.name ?? 'Error';
  if (status === 404 || code === 'NotFound' || code === 'NoSuchKey' || code === 'NoSuchBucket') {
    return {
      answer: 'not-found',
      reason: code === 'NoSuchBucket' ? 'the bucket does not exist' : 'no such object',
    };
  }
  if (status === 403 || code === 'AccessDenied' || code === 'Forbidden') {
    return { answer: 'refused', reason: `S3 answered ${code} (403)` };
  }
  const detail = failure.message && failure.message !== code ? `: ${failure.message}` : '';
  return { answer: 'failing', reason: `S3 answered ${code}${status ? ` (${status})` : ''}${detail}` };
}

/**
 * Inspects inputs with HeadObject, a few dozen calls at a time. A URI ending in `/` names a folder
 * and must have at least one object under it (ListObjectsV2); a URI that names no object is taken
 * as a folder too (`s3://b/run1/S2` for `run1/S2/part-*.fq`) before it is called missing. S3
 * failing (throttled, 5xx after the SDK's own retries) is reported as `unknown`, never as missing.
 *
 * Many inputs in one folder are listed instead (ListObjectsV2 from just before the first wanted
 * key, pages of 1,000, at most one page per 100 wanted keys), which gives each object's size and
 * storage class; one of them is still read with HeadObject to prove gwm may read the folder, and
 * so is every archived or Intelligent-Tiering object (only HeadObject says if it is restored).
 * A key the listing did not reach, or did not find, is inspected on its own.
 */
export function makeS3InputInspector(
  client: S3Client,
  options: S3InputInspectorOptions = {},
): InputInspector {
  const concurrency = options.concurrency ?? 32;
  const maxObjects = options.maxObjectsPerPrefix ?? 10_000;
  const listFrom = options.listFrom ?? 16;

  async function listFolder(bucket: string, prefix: string): Promise<InputState> {
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
    } catch (error) {
      const { answer, reason } = classify(error);
      if (answer === 'not-found') return { kind: 'missing', reason };
      return answer === 'refused'
        ? { kind: 'unreadable', reason: `listing ${prefix}: ${reason}` }
        : { kind: 'unknown', reason };
    }
    if (objects === 0) return { kind: 'missing', reason: `no object and no folder with objects at this key` };
    // A folder cut short has no size: better unknown than too small.
    return { kind: 'present', objectCount: objects, ...(!token && { sizeBytes: total }) };
  }

  async function inspectOne(uri: string): Promise<InputState> {
    const location = parseS3Uri(uri);
    if (!location) return { kind: 'missing', reason: 'not an S3 URI' };
    const { bucket, key } = location;
    if (key === '' || key.endsWith('/')) return listFolder(bucket, key);
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return {
        kind: 'present',
        ...(head.ContentLength !== undefined && { sizeBytes: head.ContentLength }),
        ...(head.StorageClass !== undefined && { storageClass: head.StorageClass }),
        ...(head.ArchiveStatus !== undefined && { archiveStatus: head.ArchiveStatus }),
        ...(head.Restore !== undefined && { restore: head.Restore }),
      };
    } catch (error) {
      const { answer, reason } = classify(error);
      if (answer === 'refused') return { kind: 'unreadable', reason };
      if (answer === 'failing') return { kind: 'unknown', reason };
      return listFolder(bucket, `${key}/`);
    }
  }

  /** Lists one folder over the wanted keys; answers the keys it saw, leaves the rest to inspectOne. */
  async function listKeys(bucket: string, folder: string, keys: string[], states: Map<string, InputState>) {
    const sorted = [...keys].sort();
    const last = sorted[sorted.length - 1] as string;
    const wanted = new Set(sorted);
    const maxPages = Math.ceil(sorted.length / 100) + 2;
    // A proper prefix of the first key sorts before it and only a handful of keys between them.
    let startAfter: string | undefined = (sorted[0] as string).slice(0, -1);
    let token: string | undefined;
    let pages = 0;
    const found = new Map<string, InputState>();
    try {
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: folder,
            Delimiter: '/',
            ...(token ? { ContinuationToken: token } : { StartAfter: startAfter }),
          }),
        );
        startAfter = undefined;
        pages++;
        let passed = false;
        for (const object of page.Contents ?? []) {
          const key = object.Key ?? '';
          if (key > last) passed = true;
          if (!wanted.has(key)) continue;
          const storageClass = object.StorageClass === 'STANDARD' ? undefined : object.StorageClass;
          found.set(key, {
            kind: 'present',
            ...(object.Size !== undefined && { sizeBytes: object.Size }),
            ...(storageClass !== undefined && { storageClass }),
          });
        }
        token = page.IsTruncated && !passed ? page.NextContinuationToken : undefined;
      } while (token && pages < maxPages);
    } catch (error) {
      // Not allowed to list, or S3 failing: each key on its own says which.
      if (classify(error).answer === 'failing') throw error;
      return;
    }
    // Access is proven on one object per folder; archived objects need HeadObject for Restore.
    const proof = [...found.keys()][0];
    for (const [key, state] of found) {
      const needsHead =
        key === proof || (state.kind === 'present' && HEAD_CLASSES.has(state.storageClass ?? ''));
      if (!needsHead) states.set(`s3://${bucket}/${key}`, state);
    }
  }

  return {
    async inspect(uris) {
      const states = new Map<string, InputState>();
      const unique = [...new Set(uris)];
      const folders = new Map<string, { bucket: string; folder: string; keys: string[] }>();
      for (const uri of unique) {
        const location = parseS3Uri(uri);
        if (!location || location.key === '' || location.key.endsWith('/')) continue;
        const folder = location.key.slice(0, location.key.lastIndexOf('/') + 1);
        const id = `${location.bucket}/${folder}`;
        const group = folders.get(id) ?? { bucket: location.bucket, folder, keys: [] };
        group.keys.push(location.key);
        folders.set(id, group);
      }
      const listed = [...folders.values()].filter((group) => group.keys.length >= listFrom);
      await forEachConcurrently(listed, concurrency, async (group) => {
        try {
          await listKeys(group.bucket, group.folder, group.keys, states);
        } catch {
          // S3 failing: every key is asked again on its own below.
        }
      });
      const rest = unique.filter((uri) => !states.has(uri));
      await forEachConcurrently(rest, concurrency, async (uri) => {
        states.set(uri, await inspectOne(uri));
      });
      return states;
    },
  };
}

/** Sizes from an inspection: an input that is missing, refused or unanswered has no size. */
export function sizerOf(inspector: InputInspector): InputSizer {
  return { sizes: async (uris) => sizesOf(await inspector.inspect(uris)) };
}
