import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { s3Error } from './s3-archive-restores.js';

/**
 * The keys of every bucket of the local S3, kept in memory so ListObjects costs what S3's does.
 *
 * s3rver lists by walking the bucket's folder and calling stat on each of its files, for every
 * page: a folder of 20,000 FASTQs costs 60,000 stat calls per page of 1,000 keys, on the event
 * loop. With the index a page is a binary search and the metadata of the keys it returns. The
 * index is built from the folders once at startup and follows every write and delete the store
 * makes (uploads, copies, completed multipart uploads, deletes, buckets made and removed), so a
 * listing answered after a PutObject was answered always includes its key, as S3's does.
 */

/** The part of s3rver's filesystem store the index replaces or follows. */
export interface KeyIndexedStore {
  listObjects(bucket: string, options: ListOptions): Promise<ListResult>;
  getMetadata(bucket: string, key: string): Promise<Record<string, string | number>>;
  putObject(object: { bucket: string; key: string }): Promise<unknown>;
  copyObject(from: string, fromKey: string, to: string, toKey: string, metadata: unknown): Promise<unknown>;
  deleteObject(bucket: string, key: string): Promise<void>;
  putBucket(bucket: string): Promise<unknown>;
  deleteBucket(bucket: string): Promise<unknown>;
}

export interface ListOptions {
  delimiter?: string;
  startAfter?: string;
  prefix?: string;
  maxKeys?: number;
}

export interface ListResult {
  objects: unknown[];
  commonPrefixes: string[];
  isTruncated: boolean;
}

const requireCommonJs = createRequire(import.meta.url);
const S3Object = requireCommonJs('s3rver/lib/models/object.js') as new (
  bucket: string,
  key: string,
  content: null,
  metadata: Record<string, string | number>,
) => unknown;

/** How s3rver names the file holding an object's bytes: `<last part of the key>._S3rver_object`. */
const OBJECT_SUFFIX = '._S3rver_object';

/** One bucket's keys; sorted again only when a key came or went since the last listing. */
class BucketKeys {
  private readonly keys = new Set<string>();
  private sorted: string[] | undefined = [];

  add(key: string): void {
    if (this.keys.has(key)) return;
    this.keys.add(key);
    this.sorted = undefined;
  }

  remove(key: string): void {
    if (this.keys.delete(key)) this.sorted = undefined;
  }

  inOrder(): string[] {
    if (!this.sorted) this.sorted = [...this.keys].sort();
    return this.sorted;
  }
}

/** The first index whose key sorts after `bound` (all of them when bound is ''). */
function firstAfter(keys: string[], bound: string, inclusive: boolean): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const key = keys[middle] as string;
    if (key < bound || (!inclusive && key === bound)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The part of s3rver (a Koa application) the listing goes through. */
interface ListingApp {
  store: KeyIndexedStore;
  middleware: ListingMiddleware[];
}

interface ListingContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  body: unknown;
  status: number;
  store: KeyIndexedStore;
}

type ListingMiddleware = ((context: ListingContext, next: () => Promise<void>) => Promise<void>) & {
  name: string;
};

/**
 * Makes the local S3 list from an index of the keys under `directory` (s3rver's root folder, one
 * folder per bucket), with ListObjectsV2 continuation tokens of its own: s3rver's are DES-encrypted,
 * which OpenSSL 3 no longer offers, so a listing of more than one page failed with InternalError.
 * Call before `s3rver.callback()`, and before anything else is put in front of its router.
 */
export async function indexLocalS3Keys(s3rver: unknown, directory: string): Promise<void> {
  const app = s3rver as ListingApp;
  const routes = app.middleware.length - 1;
  if (app.middleware[routes]?.name !== 'dispatch') {
    throw new Error('local S3: s3rver does not end with its router; its listing cannot be indexed');
  }
  await indexStoreKeys(app.store, directory);
  app.middleware.splice(routes, 0, continuationTokens());
}

/** A ListObjectsV2 page's token: where the next page starts, as the last key of this one. */
function tokenFor(bucket: string, lastKey: string): string {
  return Buffer.from(JSON.stringify({ bucket, after: lastKey })).toString('base64url');
}

function startOf(token: string, bucket: string): string | undefined {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      bucket?: unknown;
      after?: unknown;
    };
    return decoded.bucket === bucket && typeof decoded.after === 'string' ? decoded.after : undefined;
  } catch {
    return undefined;
  }
}

/**
 * ListObjectsV2 paging: the token a client sends back becomes a start after its key for s3rver's
 * router, which is told the page is complete (so it makes no token of its own); the response then
 * gets the truth and a token that works.
 */
function continuationTokens(): ListingMiddleware {
  return async function continuationTokens(context, next) {
    const bucket = /^\/([^/]+)\/?$/.exec(context.path)?.[1];
    if (context.method !== 'GET' || !bucket || context.query['list-type'] !== '2') return next();
    const { 'continuation-token': token, ...query } = context.query;
    if (typeof token === 'string') {
      const after = startOf(token, bucket);
      if (after === undefined) {
        throw s3Error('InvalidArgument', 'The continuation token provided is incorrect', {
          ArgumentName: 'continuation-token',
        });
      }
      context.query = { ...query, 'start-after': after };
    }
    const store = context.store;
    let truncated = false;
    const own: Pick<KeyIndexedStore, 'listObjects'> = {
      async listObjects(name, options) {
        const result = await store.listObjects(name, options);
        truncated = result.isTruncated;
        return { ...result, isTruncated: false };
      },
    };
    context.store = Object.assign(Object.create(store) as KeyIndexedStore, own);
    await next();
    const result = (context.body as { ListBucketResult?: Record<string, unknown> } | undefined)
      ?.ListBucketResult;
    if (!result) return;
    if (typeof token === 'string') {
      result.StartAfter = undefined;
      result.ContinuationToken = token;
    }
    const contents = (result.Contents ?? []) as { Key: string }[];
    const last = contents[contents.length - 1];
    if (truncated && last) {
      result.IsTruncated = true;
      result.NextContinuationToken = tokenFor(bucket, last.Key);
    }
  };
}

/** Makes `store` answer ListObjects from an index of the keys under `directory`. */
async function indexStoreKeys(store: KeyIndexedStore, directory: string): Promise<void> {
  const buckets = new Map<string, BucketKeys>();
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    if (entry.isDirectory()) buckets.set(entry.name, await readBucket(join(directory, entry.name)));
  }
  const keysOf = (bucket: string): BucketKeys => {
    let keys = buckets.get(bucket);
    if (!keys) {
      keys = new BucketKeys();
      buckets.set(bucket, keys);
    }
    return keys;
  };

  const original = {
    getMetadata: store.getMetadata.bind(store),
    putObject: store.putObject.bind(store),
    copyObject: store.copyObject.bind(store),
    deleteObject: store.deleteObject.bind(store),
    putBucket: store.putBucket.bind(store),
    deleteBucket: store.deleteBucket.bind(store),
  };

  // Each change is recorded once the store has made it, before the request is answered.
  store.putObject = async (object) => {
    const result = await original.putObject(object);
    keysOf(object.bucket).add(object.key);
    return result;
  };
  store.copyObject = async (from, fromKey, to, toKey, metadata) => {
    const result = await original.copyObject(from, fromKey, to, toKey, metadata);
    keysOf(to).add(toKey);
    return result;
  };
  store.deleteObject = async (bucket, key) => {
    await original.deleteObject(bucket, key);
    keysOf(bucket).remove(key);
  };
  store.putBucket = async (bucket) => {
    const result = await original.putBucket(bucket);
    keysOf(bucket);
    return result;
  };
  store.deleteBucket = async (bucket) => {
    const result = await original.deleteBucket(bucket);
    buckets.delete(bucket);
    return result;
  };

  store.listObjects = async (bucket, options) => {
    const { delimiter = '', startAfter = '', prefix = '', maxKeys = Number.POSITIVE_INFINITY } = options;
    const keys = keysOf(bucket).inOrder();
    const listed: string[] = [];
    const commonPrefixes = new Set<string>();
    let isTruncated = false;
    // Keys sort after their prefix and, with a start, after it: begin at the later of the two.
    let index = startAfter > prefix ? firstAfter(keys, startAfter, false) : firstAfter(keys, prefix, true);
    for (; index < keys.length; index++) {
      const key = keys[index] as string;
      if (!key.startsWith(prefix)) break;
      if (delimiter) {
        const at = key.indexOf(delimiter, prefix.length);
        if (at !== -1) {
          commonPrefixes.add(key.slice(0, at + delimiter.length));
          continue;
        }
      }
      if (listed.length >= maxKeys) {
        isTruncated = true;
        break;
      }
      listed.push(key);
    }
    const found = await Promise.all(
      listed.map(async (key) => {
        try {
          return new S3Object(bucket, key, null, await original.getMetadata(bucket, key));
        } catch (error) {
          // Deleted while being listed: S3 would not list it either.
          if ((error as { code?: string }).code === 'ENOENT') return undefined;
          throw error;
        }
      }),
    );
    return {
      objects: found.filter((object) => object !== undefined),
      commonPrefixes: [...commonPrefixes].sort(),
      isTruncated,
    };
  };
}

/** Every key stored in one bucket's folder, from the names of its object files. */
async function readBucket(folder: string): Promise<BucketKeys> {
  const keys = new BucketKeys();
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith(OBJECT_SUFFIX)) continue;
    // Node 20 names the entry's folder `parentPath` (earlier 20.x: `path`).
    const parent =
      (entry as { parentPath?: string; path?: string }).parentPath ?? (entry as { path: string }).path;
    const path = relative(folder, join(parent, entry.name)).split(sep).join('/');
    keys.add(path.slice(0, -OBJECT_SUFFIX.length));
  }
  return keys;
}
