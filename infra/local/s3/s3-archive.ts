import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type S3rver from 's3rver';
import type { LocalLog } from '../local-log.js';
import {
  type ArchiveLocation,
  type ArchiveState,
  type ObjectMetadata,
  RESTORE_TIERS,
  RestoreBook,
  type RestoreRequest,
  type RestoreTier,
  s3Error,
} from './s3-archive-restores.js';

export {
  ARCHIVE_STATUS_METADATA,
  type ArchiveLocation,
  DEFAULT_RESTORE_DAY_MS,
  DEFAULT_RESTORE_DELAY_MS,
  RESTORE_TIERS,
  type RestoreTier,
} from './s3-archive-restores.js';

/**
 * Archive storage classes and restores in the local S3, as S3 has them:
 *
 * - An object keeps the storage class it was uploaded (or copied) with, `x-amz-storage-class`:
 *   STANDARD, REDUCED_REDUNDANCY, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER, GLACIER_IR,
 *   DEEP_ARCHIVE. HeadObject and GetObject return it (not for STANDARD); listings show it.
 * - GLACIER and DEEP_ARCHIVE objects, and INTELLIGENT_TIERING objects in an archive tier, need a
 *   restore: GetObject answers 403 `InvalidObjectState` until one completed. HeadObject always works.
 * - An INTELLIGENT_TIERING object is in an archive tier when it was uploaded with the user metadata
 *   `x-amz-meta-archive-status: ARCHIVE_ACCESS` or `DEEP_ARCHIVE_ACCESS` (S3 moves objects there
 *   after 90 or more days without access; locally the uploader says where the object is). HeadObject
 *   then returns `x-amz-archive-status`. A completed restore moves it back to Frequent Access for
 *   good: no archive status, no expiry.
 * - RestoreObject (`POST /bucket/key?restore`): 202 when a restore starts, 409
 *   `RestoreAlreadyInProgress` while it runs, 200 when a restored copy exists (its expiry is set
 *   again from now), 403 `InvalidObjectState` for an object that needs no restore. While restoring,
 *   HeadObject returns `x-amz-restore: ongoing-request="true"`; then `ongoing-request="false",
 *   expiry-date="<HTTP date>"` until the copy expires, `Days` restore days later, rounded up to a
 *   whole day (midnight UTC with the default day).
 */
export interface LocalS3ArchiveOptions {
  /**
   * Milliseconds from RestoreObject to the restored copy, by where the object is and the tier
   * asked for; what is not given is taken from DEFAULT_RESTORE_DELAY_MS.
   */
  restoreDelayMs?: { [location in ArchiveLocation]?: { [tier in RestoreTier]?: number } };
  /** The length of one restore day in milliseconds, 86,400,000 by default (tests shorten it). */
  restoreDayMs?: number;
  /**
   * Called once per completed restore with the event S3 sends to EventBridge. A callback that
   * throws or rejects is logged; the local S3 carries on.
   */
  onRestoreCompleted?: (event: ObjectRestoreCompletedEvent) => void | Promise<void>;
}

/** `Object Restore Completed`, as S3 sends it to EventBridge (source `aws.s3`). */
export interface ObjectRestoreCompletedEvent {
  version: '0';
  id: string;
  'detail-type': 'Object Restore Completed';
  source: 'aws.s3';
  account: string;
  /** When the restore completed, ISO 8601 to the second. */
  time: string;
  region: string;
  /** The bucket's ARN. */
  resources: string[];
  detail: {
    version: '0';
    bucket: { name: string };
    /** The key as stored (not URL-encoded); the etag without quotes. */
    object: { key: string; size: number; etag: string };
    'request-id': string;
    requester: 's3.amazonaws.com';
    /** When the restored copy goes; absent for INTELLIGENT_TIERING, whose restores do not expire. */
    'restore-expiry-time'?: string;
    'source-storage-class': string;
  };
}

/** Restores in progress and restored copies, kept in the S3 folder across restarts. */
export const RESTORES_FILE = '.restores.json';
/** The account S3 names in the events of the local S3. */
export const LOCAL_S3_ACCOUNT = '000000000000';

export interface LocalS3Archive {
  /** Stops the restore timers; waits for the completion callbacks running and the restores file. */
  stop(): Promise<void>;
}

export interface LocalS3ArchiveSetup extends LocalS3ArchiveOptions {
  /** The s3rver folder; the restores are kept in RESTORES_FILE there. */
  directory: string;
  region: string;
  log: LocalLog;
}

const requireCommonJs = createRequire(import.meta.url);
const S3Object = requireCommonJs('s3rver/lib/models/object.js') as { STORAGE_CLASSES: string[] };

/**
 * Adds archive storage classes and restores to an s3rver: call it before `s3rver.callback()`. It
 * completes the restores an earlier server on the folder left in progress.
 */
export async function startLocalS3Archive(
  s3rver: S3rver,
  setup: LocalS3ArchiveSetup,
): Promise<LocalS3Archive> {
  // s3rver refuses classes it does not know; S3 Glacier Instant Retrieval came after it.
  if (!S3Object.STORAGE_CLASSES.includes('GLACIER_IR')) S3Object.STORAGE_CLASSES.push('GLACIER_IR');
  const app = s3rver as unknown as { store: ArchiveStore; middleware: KoaMiddleware[] };
  const routes = app.middleware.length - 1;
  if (app.middleware[routes]?.name !== 'dispatch') {
    throw new Error('local S3: s3rver does not end with its router; archive support cannot be added');
  }
  const book = await RestoreBook.open({
    ...setup,
    file: join(setup.directory, RESTORES_FILE),
    account: LOCAL_S3_ACCOUNT,
    readMetadata: (bucket, key) => app.store.getMetadata(bucket, key),
  });
  // Between s3rver's XML encoding and its router: response bodies are still objects here.
  app.middleware.splice(routes, 0, archiveMiddleware(book));
  return { stop: () => book.stop() };
}

/** The part of s3rver's filesystem store the archive support goes through. */
interface ArchiveStore {
  getBucket(bucket: string): Promise<unknown>;
  /** Throws (ENOENT) when the object does not exist. */
  getMetadata(bucket: string, key: string): Promise<ObjectMetadata>;
  putMetadata(bucket: string, key: string, metadata: ObjectMetadata): Promise<void>;
  getObject(bucket: string, key: string, options?: unknown): Promise<StoredObject | null>;
  listObjects(bucket: string, options: unknown): Promise<{ objects: StoredObject[] }>;
  putObject(object: { bucket: string; key: string }): Promise<unknown>;
  copyObject(
    from: string,
    fromKey: string,
    to: string,
    toKey: string,
    metadata: unknown,
  ): Promise<ObjectMetadata>;
  putObjectMultipart(bucket: string, uploadId: string, parts: unknown): Promise<unknown>;
  deleteObject(bucket: string, key: string): Promise<void>;
}

interface StoredObject {
  key: string;
  metadata: ObjectMetadata;
  content?: { destroy(): void } | null;
}

/** The part of Koa's context the archive support uses. */
interface KoaContext {
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  params?: Record<string, string | undefined>;
  req: IncomingMessage;
  status: number;
  body: unknown;
  store: ArchiveStore;
  set(field: string, value: string): void;
  remove(field: string): void;
}
type KoaMiddleware = ((context: KoaContext, next: () => Promise<void>) => Promise<void>) & { name: string };

interface ListedContent {
  Key: string;
  StorageClass: string;
  RestoreStatus?: { IsRestoreInProgress: boolean; RestoreExpiryDate?: string };
}

/**
 * Answers RestoreObject itself and watches what s3rver does through a store of the request's own:
 * reads of archived objects are refused, their headers and listed classes set as S3 sets them, and
 * a write or delete ends the key's restore.
 */
function archiveMiddleware(book: RestoreBook): KoaMiddleware {
  return async function archive(context, next) {
    const target = objectOf(context.path);
    if (context.method === 'POST' && 'restore' in context.query && target) {
      await restoreObject(context, book, target.bucket, target.key);
      return;
    }
    const store = context.store;
    let listed: { bucket: string; objects: StoredObject[] } | undefined;
    let served: ArchiveState | undefined;
    const own: Partial<ArchiveStore> = {
      async listObjects(bucket, options) {
        const result = await store.listObjects(bucket, options);
        listed = { bucket, objects: result.objects };
        return result;
      },
      async getObject(bucket, key, options) {
        const object = await store.getObject(bucket, key, options);
        if (object === null) return object;
        const state = book.stateOf(bucket, key, object.metadata);
        if (context.method !== 'HEAD' && !state.readable) {
          object.content?.destroy();
          throw invalidObjectState(state);
        }
        served = state;
        return object;
      },
      async copyObject(from, fromKey, to, toKey, replacement) {
        const source = book.stateOf(from, fromKey, await store.getMetadata(from, fromKey));
        if (!source.readable) throw invalidObjectState(source);
        const storageClass = headerOf(context, 'x-amz-storage-class');
        if (storageClass !== undefined && !S3Object.STORAGE_CLASSES.includes(storageClass)) {
          throw s3Error('InvalidStorageClass', 'The storage class you specified is not valid');
        }
        const metadata = await store.copyObject(from, fromKey, to, toKey, replacement);
        book.forget(to, toKey);
        // S3 stores a copy in the class the request names, STANDARD when it names none.
        return replacement
          ? metadata
          : withStorageClass(store, to, toKey, metadata, storageClass ?? 'STANDARD');
      },
      async putObject(object) {
        const result = await store.putObject(object);
        book.forget(object.bucket, object.key);
        return result;
      },
      async putObjectMultipart(bucket, uploadId, parts) {
        const result = await store.putObjectMultipart(bucket, uploadId, parts);
        const key = context.params?.key;
        if (key !== undefined) book.forget(bucket, key);
        return result;
      },
      async deleteObject(bucket, key) {
        await store.deleteObject(bucket, key);
        book.forget(bucket, key);
      },
    };
    context.store = Object.assign(Object.create(store) as ArchiveStore, own);
    await next();
    if (listed) showClasses(context, book, listed.bucket, listed.objects);
    if (served && context.status >= 200 && context.status < 300) setArchiveHeaders(context, served);
  };
}

async function restoreObject(context: KoaContext, book: RestoreBook, bucket: string, key: string) {
  const store = context.store;
  if (!(await store.getBucket(bucket))) {
    throw s3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
  }
  const request = parseRestoreRequest(await readBody(context.req));
  let metadata: ObjectMetadata;
  try {
    metadata = await store.getMetadata(bucket, key);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw s3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
  }
  context.status = book.request(bucket, key, metadata, request);
  context.body = '';
  context.remove('Content-Type');
}

/** The RestoreRequest XML: `Days`, and the tier under `GlacierJobParameters` or at the top. */
function parseRestoreRequest(xml: string): RestoreRequest {
  const text = xml.trim();
  const malformed = () =>
    s3Error(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema.',
    );
  if (text !== '' && !/<RestoreRequest[\s>]/.test(text)) throw malformed();
  const days = /<Days>([^<]*)<\/Days>/.exec(text)?.[1]?.trim();
  const tier = /<Tier>([^<]*)<\/Tier>/.exec(text)?.[1]?.trim() ?? 'Standard';
  if (!(RESTORE_TIERS as readonly string[]).includes(tier)) throw malformed();
  if (days === undefined) return { tier: tier as RestoreTier };
  if (!/^\d+$/.test(days)) throw malformed();
  if (Number(days) < 1) {
    throw s3Error('InvalidArgument', 'Days must be 1 or more', { ArgumentName: 'Days', ArgumentValue: days });
  }
  return { tier: tier as RestoreTier, days: Number(days) };
}

/** The listing names each object's class (s3rver writes STANDARD for all) and, when asked, its restore. */
function showClasses(context: KoaContext, book: RestoreBook, bucket: string, objects: StoredObject[]) {
  const result = (context.body as { ListBucketResult?: { Contents?: ListedContent[] } } | undefined)
    ?.ListBucketResult;
  const restores = String(context.headers['x-amz-optional-object-attributes'] ?? '').includes(
    'RestoreStatus',
  );
  for (const [index, content] of (result?.Contents ?? []).entries()) {
    const object = objects[index];
    if (object?.key !== content.Key) continue;
    content.StorageClass = String(object.metadata['x-amz-storage-class'] ?? 'STANDARD');
    const restore = restores ? book.stateOf(bucket, object.key, object.metadata).restore : undefined;
    if (restore) {
      content.RestoreStatus = {
        IsRestoreInProgress: restore.ongoing,
        ...(restore.expiresAt === undefined
          ? {}
          : { RestoreExpiryDate: new Date(restore.expiresAt).toISOString() }),
      };
    }
  }
}

function setArchiveHeaders(context: KoaContext, state: ArchiveState): void {
  // S3 names no class for STANDARD objects, also when the upload named it.
  if (state.storageClass === 'STANDARD') context.remove('x-amz-storage-class');
  if (state.location === 'ARCHIVE_ACCESS' || state.location === 'DEEP_ARCHIVE_ACCESS') {
    context.set('x-amz-archive-status', state.location);
  }
  const restore = state.restore;
  if (restore?.ongoing) context.set('x-amz-restore', 'ongoing-request="true"');
  else if (restore?.expiresAt !== undefined) {
    const expiry = new Date(restore.expiresAt).toUTCString();
    context.set('x-amz-restore', `ongoing-request="false", expiry-date="${expiry}"`);
  }
}

function invalidObjectState(state: ArchiveState): Error {
  const tier = state.location === 'ARCHIVE_ACCESS' || state.location === 'DEEP_ARCHIVE_ACCESS';
  return s3Error('InvalidObjectState', "The operation is not valid for the object's storage class", {
    StorageClass: state.storageClass,
    ...(tier && state.location ? { AccessTier: state.location } : {}),
  });
}

async function withStorageClass(
  store: ArchiveStore,
  bucket: string,
  key: string,
  metadata: ObjectMetadata,
  storageClass: string,
): Promise<ObjectMetadata> {
  if ((metadata['x-amz-storage-class'] ?? 'STANDARD') === storageClass) return metadata;
  const { 'x-amz-storage-class': _, ...kept } = metadata;
  await store.putMetadata(
    bucket,
    key,
    storageClass === 'STANDARD' ? kept : { ...kept, 'x-amz-storage-class': storageClass },
  );
  return store.getMetadata(bucket, key);
}

/** Bucket and key of a path-style object path; undefined for a bucket or a malformed path. */
function objectOf(path: string): { bucket: string; key: string } | undefined {
  const slash = path.indexOf('/', 1);
  if (slash < 0 || slash === path.length - 1) return undefined;
  try {
    return { bucket: path.slice(1, slash), key: decodeURIComponent(path.slice(slash + 1)) };
  } catch {
    return undefined;
  }
}

function headerOf(context: KoaContext, name: string): string | undefined {
  const value = context.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
