import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { format } from 'node:util';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import S3rver from 's3rver';
import { DUMMY_ACCOUNT } from 's3rver/lib/models/account.js';
import { backoffMs } from '../../../domain/backoff.js';
import { createEventRouter, errorFields } from '../events/event-router.js';
import type { LocalLog } from '../local-log.js';
import { type LocalS3ArchiveOptions, startLocalS3Archive } from './s3-archive.js';
import { indexLocalS3Keys } from './s3-key-index.js';
import { notificationId, openNotificationJournal } from './s3-notification-journal.js';

export const LOCAL_S3_REGION = 'us-east-1';
/** Accepted by the local S3 only (it checks signatures against them); they open nothing on AWS. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'gwmlocal', secretAccessKey: 'gwmlocal' } as const;

export interface LocalS3Notifications {
  /** Buckets whose new objects are notified. */
  buckets: string[];
  /**
   * Only keys matching one of these EventBridge matchers are notified (e.g. MANIFEST_KEY_MATCHERS);
   * they test the key as events carry it, form-URL-encoded. Absent or empty: every key.
   */
  keys?: ReadonlyArray<Readonly<Record<string, unknown>>>;
  /** Called with one S3 event per new object, as S3 invokes a Lambda function asynchronously. */
  handler: (event: S3Event) => Promise<void>;
  /** JSON lines `{ deadLetteredAt, rule, attempts, error, event }` for events that failed every attempt. */
  deadLetterFile: string;
  /** Wait before retry number `attempt` (1 or 2). Default 100 ms, then 200 ms. */
  retryDelayMs?: (attempt: number) => number;
  /**
   * Where events owed to the handler are kept until handled or dead-lettered, so a server started
   * again on the same folder delivers what a killed one did not (`redeliverPending`).
   */
  journalFile?: string;
}

export interface LocalS3Options {
  /** 0 or absent: a free port. The server listens on 127.0.0.1 only. */
  port?: number;
  /** Objects are kept here across restarts. */
  directory: string;
  /** Created when missing. */
  buckets: string[];
  notifications?: LocalS3Notifications;
  /** Archive storage classes and restores are always on: their timing and completion callback. */
  archive?: LocalS3ArchiveOptions;
  log?: LocalLog;
}

export interface LocalS3 {
  endpoint: string;
  port: number;
  /** A client configured for this server (path-style, local credentials). */
  client: S3Client;
  /** Resolves when every notification emitted so far has been handled or dead-lettered. */
  settle(): Promise<void>;
  /**
   * Delivers again the events an earlier server on the journal took and did not finish; call it
   * once the handler is ready. Returns how many.
   */
  redeliverPending(): number;
  /** Finishes the deliveries in flight, then closes the server. */
  stop(): Promise<void>;
}

/**
 * Like Lambda's asynchronous invocation: the first call, then two retries. Lambda waits about one
 * and then two minutes; locally the same shape is kept in milliseconds.
 */
export const S3_NOTIFICATION_RETRY_ATTEMPTS = 2;
const defaultNotificationRetryDelayMs = (attempt: number) => backoffMs(attempt, { baseMs: 100 });

const NOTIFICATION_RULE = 's3-object-created';
const CONFIGURATION_ID = 'gwm-manifest-intake';

export function localS3ClientConfig(endpoint: string): S3ClientConfig {
  return {
    endpoint,
    region: LOCAL_S3_REGION,
    credentials: { ...LOCAL_S3_CREDENTIALS },
    forcePathStyle: true,
    // s3rver does not understand aws-chunked bodies: with the SDK's default (WHEN_SUPPORTED) a
    // streamed upload would be stored with its chunk framing inside the object.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

/**
 * A key as S3 writes it in event notifications: form-URL-encoded (a space is `+`), every byte
 * escaped as `%XX` except letters, digits, `-`, `_`, `.`, `*` and `/`. So a key holding `+`
 * arrives as `%2B`, and `(2026)` as `%282026%29`.
 */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/[!'()~]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
    .replace(/%2F/g, '/');
}

interface RequestInfo {
  method: string;
  url: string;
  response: ServerResponse;
}

/**
 * A local S3 (s3rver) that keeps objects in a folder and notifies new objects like S3 with a Lambda
 * destination: real S3 event records (keys encoded as S3 encodes them), filtered by bucket and
 * suffix, delivered after the upload has been answered, retried twice, then dead-lettered.
 */
export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const log: LocalLog = options.log ?? (() => {});
  // s3rver knows one account, with the key pair S3RVER/S3RVER; the local key pair joins it.
  DUMMY_ACCOUNT.createKeyPair(LOCAL_S3_CREDENTIALS.accessKeyId, LOCAL_S3_CREDENTIALS.secretAccessKey);
  await mkdir(options.directory, { recursive: true });

  const s3rver = new S3rver({
    directory: options.directory,
    silent: true,
    // Path-style only: on 127.0.0.1 there are no bucket host names.
    vhostBuckets: false,
  });
  const consoleLogger = s3rver.logger;
  routeLogs(s3rver, log);

  for (const bucket of options.buckets) {
    if (await s3rver.store.getBucket(bucket)) continue;
    await s3rver.store.putBucket(bucket);
    log('info', `local S3: created bucket ${bucket}`, { bucket });
  }

  await indexLocalS3Keys(s3rver, options.directory);
  const archive = await startLocalS3Archive(s3rver, {
    ...options.archive,
    directory: options.directory,
    region: LOCAL_S3_REGION,
    log,
  });
  // Which request an s3rver event comes from: it emits events while handling the request.
  const requests = new AsyncLocalStorage<RequestInfo>();
  const handle = s3rver.callback();
  const server = createServer((request, response) => {
    const info = { method: request.method ?? 'GET', url: request.url ?? '/', response };
    requests.run(info, () => handle(request, response));
  });
  const address = await listen(server, options.port ?? 0).catch(async (error: unknown) => {
    await archive.stop();
    consoleLogger.close();
    throw error;
  });
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = new S3Client(localS3ClientConfig(endpoint));

  const notifications = options.notifications;
  const journal =
    notifications?.journalFile === undefined
      ? undefined
      : await openNotificationJournal(notifications.journalFile);
  // Calls per event, so the last failed one (dead-lettered by the router) is marked done too.
  const calls = new Map<string, number>();
  async function deliver(handler: (event: S3Event) => Promise<void>, event: S3Event): Promise<void> {
    const id = notificationId(event);
    const call = (calls.get(id) ?? 0) + 1;
    calls.set(id, call);
    try {
      await handler(event);
    } catch (error) {
      if (call <= S3_NOTIFICATION_RETRY_ATTEMPTS) throw error;
      calls.delete(id);
      await journal?.done(event);
      throw error;
    }
    calls.delete(id);
    await journal?.done(event);
  }
  const router = notifications
    ? createEventRouter({
        rules: [
          {
            name: NOTIFICATION_RULE,
            pattern: notificationPattern(notifications),
            retryAttempts: S3_NOTIFICATION_RETRY_ATTEMPTS,
            target: (event) => deliver(notifications.handler, event as S3Event),
          },
        ],
        deadLetterFile: notifications.deadLetterFile,
        retryDelayMs: notifications.retryDelayMs ?? defaultNotificationRetryDelayMs,
        log,
      })
    : undefined;

  /** Events taken from s3rver and not yet handed to the router (waiting for the response to go out). */
  const emitting = new Set<Promise<void>>();
  let sequence = 0;
  if (router) {
    s3rver.on('event', (notification: S3rver.Notification) => {
      const request = requests.getStore();
      const sequencer = nextSequencer(sequence++);
      const pending = (async () => {
        if (request) await responseSent(request.response);
        const event = await toS3Event(notification, request, sequencer, s3rver.store);
        if (event) {
          await journal?.add(event);
          router.put(event);
        }
      })()
        .catch((error: unknown) => {
          log('error', 'local S3: could not build an event notification', {
            error: errorFields(error),
            notification,
          });
        })
        .finally(() => emitting.delete(pending));
      emitting.add(pending);
    });
  }

  async function settle(): Promise<void> {
    // A handler may upload in turn: go on until nothing is waiting anywhere.
    for (;;) {
      if (emitting.size > 0) {
        await Promise.all([...emitting]);
        continue;
      }
      await router?.settle();
      if (emitting.size === 0) return;
    }
  }

  let stopped: Promise<void> | undefined;
  async function stop(): Promise<void> {
    // Handlers read what they were notified about: the server stays up until they are done.
    await settle();
    await router?.stop();
    await archive.stop();
    await closeServer(server);
    client.destroy();
    consoleLogger.close();
  }

  log('info', `local S3 listening on ${endpoint}`, { directory: options.directory });
  return {
    endpoint,
    port: address.port,
    client,
    settle,
    redeliverPending() {
      const owed = journal?.pending.splice(0) ?? [];
      for (const event of owed) router?.put(event);
      return owed.length;
    },
    stop() {
      stopped ??= stop();
      return stopped;
    },
  };
}

/** The notification's bucket and key filters as an event pattern (s3rver has none). */
function notificationPattern(notifications: LocalS3Notifications): object {
  const keys = notifications.keys ?? [];
  const object = keys.length > 0 ? { key: [...keys] } : undefined;
  return {
    Records: {
      eventName: [{ prefix: 'ObjectCreated:' }],
      s3: { bucket: { name: [...notifications.buckets] }, ...(object ? { object } : {}) },
    },
  };
}

/** The record S3 would send, from what s3rver emits. */
async function toS3Event(
  notification: S3rver.Notification,
  request: RequestInfo | undefined,
  sequencer: string,
  store: S3rver.Store,
): Promise<S3Event | undefined> {
  const raw = notification.Records[0];
  if (raw === undefined) return undefined;
  const eventName = createdEventName(raw.eventName, request);
  if (eventName === undefined) return undefined;
  const bucket = raw.s3.bucket.name;
  const key = raw.s3.object.key;
  // s3rver leaves the ETag out of copy events; S3 sends it.
  const eTag = raw.s3.object.eTag ?? (await storedETag(store, bucket, key));
  const record: S3EventRecord = {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: LOCAL_S3_REGION,
    eventTime: raw.eventTime,
    eventName,
    userIdentity: { principalId: `AWS:${LOCAL_S3_CREDENTIALS.accessKeyId}` },
    requestParameters: { sourceIPAddress: raw.requestParameters.sourceIPAddress },
    responseElements: {
      'x-amz-request-id': raw.responseElements['x-amz-request-id'] ?? sequencer,
      'x-amz-id-2': raw.responseElements['x-amz-id-2'] ?? '',
    },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: CONFIGURATION_ID,
      bucket: {
        name: bucket,
        ownerIdentity: { principalId: raw.s3.bucket.ownerIdentity.principalId },
        arn: `arn:aws:s3:::${bucket}`,
      },
      // s3rver keeps no versions, so there is no versionId to send.
      object: { key: encodeS3EventKey(key), size: raw.s3.object.size ?? 0, eTag, sequencer },
    },
  };
  return { Records: [record] };
}

/**
 * s3rver names a completed multipart upload `ObjectCreated:Post` like a browser form upload; the
 * request tells them apart. Removals are not notified (gwm listens to ObjectCreated only).
 */
function createdEventName(name: string, request: RequestInfo | undefined): string | undefined {
  if (!name.startsWith('ObjectCreated:')) return undefined;
  if (name === 'ObjectCreated:Post' && request?.method === 'POST' && /[?&]uploadId=/.test(request.url)) {
    return 'ObjectCreated:CompleteMultipartUpload';
  }
  return name;
}

/** 18 hex digits that grow with every event, as S3's sequencers do for one key. */
function nextSequencer(sequence: number): string {
  const time = Date.now().toString(16).toUpperCase().padStart(12, '0');
  const count = (sequence % 0x1000000).toString(16).toUpperCase().padStart(6, '0');
  return `${time}${count}`;
}

/** Empty when the object is already gone again: S3 would still have notified its creation. */
async function storedETag(store: S3rver.Store, bucket: string, key: string): Promise<string> {
  try {
    return String((await store.getMetadata(bucket, key)).etag).replaceAll('"', '');
  } catch {
    return '';
  }
}

/**
 * s3rver logs through winston to the console; its lines go to `log` instead. Per-request info is
 * dropped (the caller knows what it asked for); warnings and failed operations are kept. Server
 * faults arrive through Koa's error event.
 */
function routeLogs(s3rver: S3rver, log: LocalLog): void {
  const forward =
    (level: 'warn') =>
    (message: string, ...args: unknown[]) => {
      const error = args.find((arg) => arg instanceof Error);
      const values = args.filter((arg) => !(arg instanceof Error));
      log(level, `local S3: ${format(message, ...values)}`, error ? { error: errorFields(error) } : {});
    };
  const logger: S3rver.Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: forward('warn'),
    // s3rver reports refused writes and missing sources as errors; the client gets the error too.
    error: forward('warn'),
    close: () => undefined,
    exceptions: { unhandle: () => undefined },
  };
  s3rver.logger = logger;
  s3rver.context.logger = logger;
  // With a listener of its own, Koa no longer prints errors to the console.
  s3rver.on('error', (error: Error & { status?: number }, context?: { method?: string; url?: string }) => {
    if ((error.status ?? 500) < 500) return;
    log('error', `local S3: ${context?.method ?? ''} ${context?.url ?? ''} failed`, {
      error: errorFields(error),
    });
  });
}

function responseSent(response: ServerResponse): Promise<void> {
  if (response.writableFinished || response.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    response.once('finish', resolve);
    response.once('close', resolve);
  });
}

function listen(server: Server, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // Keep-alive sockets of clients that are done would otherwise hold the server open.
    server.closeIdleConnections();
  });
}
