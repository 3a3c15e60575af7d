// The restores of the local S3 (see s3-archive.ts): their state, timers, file and events.
import { randomBytes, randomUUID } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { errorFields } from '../events/event-router.js';
import type { LocalLog } from '../local-log.js';
import { readTextIfExists } from '../read-if-exists.js';
import type { LocalS3ArchiveOptions, ObjectRestoreCompletedEvent } from './s3-archive.js';

export const RESTORE_TIERS = ['Expedited', 'Standard', 'Bulk'] as const;
export type RestoreTier = (typeof RESTORE_TIERS)[number];

/**
 * Where an archived object waits for a restore: its storage class (GLACIER is S3 Glacier Flexible
 * Retrieval), or the archive tier of an INTELLIGENT_TIERING object.
 */
export type ArchiveLocation = 'GLACIER' | 'DEEP_ARCHIVE' | 'ARCHIVE_ACCESS' | 'DEEP_ARCHIVE_ACCESS';

/**
 * User metadata that puts an INTELLIGENT_TIERING object in an archive tier of the local S3
 * (`ARCHIVE_ACCESS` or `DEEP_ARCHIVE_ACCESS`). S3 moves objects there itself after 90 or more days
 * without access; locally the uploader says where the object is.
 */
export const ARCHIVE_STATUS_METADATA = 'x-amz-meta-archive-status';

const FLEXIBLE_DELAY_MS = { Expedited: 1_000, Standard: 3_000, Bulk: 5_000 } as const;
const DEEP_DELAY_MS = { Expedited: 2_000, Standard: 6_000, Bulk: 10_000 } as const;
/**
 * How long a restore takes locally, by where the object is and the tier asked for: S3's minutes and
 * hours become seconds, a deep archive taking twice as long. (S3 offers no Expedited from a deep one.)
 */
export const DEFAULT_RESTORE_DELAY_MS: Readonly<
  Record<ArchiveLocation, Readonly<Record<RestoreTier, number>>>
> = {
  GLACIER: FLEXIBLE_DELAY_MS,
  ARCHIVE_ACCESS: FLEXIBLE_DELAY_MS,
  DEEP_ARCHIVE: DEEP_DELAY_MS,
  DEEP_ARCHIVE_ACCESS: DEEP_DELAY_MS,
};

/** One restore day: a restored copy is kept for `Days` of these, its expiry rounded up to a whole one. */
export const DEFAULT_RESTORE_DAY_MS = 86_400_000;

/** Object metadata as the s3rver store reads it: `etag` JSON-quoted, `last-modified` an HTTP date. */
export type ObjectMetadata = Record<string, string | number | undefined>;

const S3Error = createRequire(import.meta.url)('s3rver/lib/models/error.js') as new (
  code: string,
  message: string,
  detail?: Record<string, string>,
) => Error;

/** An error the local S3 answers as S3 does: the code's HTTP status and an `<Error>` XML body. */
export function s3Error(code: string, message: string, detail: Record<string, string> = {}): Error {
  return new S3Error(code, message, detail);
}

/** Where an object waits for a restore, or undefined when it is read without one. */
export function archiveLocation(metadata: ObjectMetadata): ArchiveLocation | undefined {
  const storageClass = metadata['x-amz-storage-class'];
  if (storageClass === 'GLACIER' || storageClass === 'DEEP_ARCHIVE') return storageClass;
  if (storageClass !== 'INTELLIGENT_TIERING') return undefined;
  const status = metadata[ARCHIVE_STATUS_METADATA];
  return status === 'ARCHIVE_ACCESS' || status === 'DEEP_ARCHIVE_ACCESS' ? status : undefined;
}

/** What S3 says about one object's archive: HeadObject's headers and whether GetObject serves it. */
export interface ArchiveState {
  /** `STANDARD` when the object was stored without a class. */
  storageClass: string;
  /** Absent for an object read without a restore (or an Intelligent-Tiering one restored). */
  location?: ArchiveLocation;
  readable: boolean;
  /** The current restore: in progress, or a restored copy until `expiresAt`. */
  restore?: { ongoing: boolean; expiresAt?: number };
}

export interface RestoreRequest {
  /** Required for GLACIER and DEEP_ARCHIVE; refused for Intelligent-Tiering, as S3 does. */
  days?: number;
  tier: RestoreTier;
}

interface RestoreRecord {
  bucket: string;
  key: string;
  storageClass: string;
  location: ArchiveLocation;
  tier: RestoreTier;
  days?: number;
  requestedAt: number;
  completesAt: number;
  /**
   * Absent while restoring; then when the restored copy goes, or null for an Intelligent-Tiering
   * object, which went back to Frequent Access for good.
   */
  expiresAt?: number | null;
  /** The object restored: one written again since has no restore. */
  etag: string;
  lastModified: string;
}

const MAX_TIMER_MS = 2 ** 31 - 1;
const DEEP: readonly ArchiveLocation[] = ['DEEP_ARCHIVE', 'DEEP_ARCHIVE_ACCESS'];

export interface RestoreBookOptions extends LocalS3ArchiveOptions {
  /** JSON file of the restores in progress and the restored copies. */
  file: string;
  region: string;
  account: string;
  log: LocalLog;
  readMetadata(bucket: string, key: string): Promise<ObjectMetadata>;
}

/**
 * The restores of one local S3: requested, completed by a timer after the tier's delay, expired
 * after their days. Kept in a JSON file, so a local S3 started again on the folder completes the
 * restores still in progress (at once when overdue) and keeps the restored copies.
 */
export class RestoreBook {
  private readonly records = new Map<string, RestoreRecord>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly pending = new Set<Promise<void>>();
  private saving: Promise<void> = Promise.resolve();
  private dirty = false;
  private stopped = false;
  private readonly dayMs: number;

  private constructor(private readonly options: RestoreBookOptions) {
    this.dayMs = options.restoreDayMs ?? DEFAULT_RESTORE_DAY_MS;
    if (!(this.dayMs > 0)) throw new Error(`local S3: restoreDayMs must be positive, not ${this.dayMs}`);
  }

  static async open(options: RestoreBookOptions): Promise<RestoreBook> {
    const book = new RestoreBook(options);
    for (const record of await readRecords(options.file, options.log)) {
      const id = recordId(record.bucket, record.key);
      book.records.set(id, record);
      if (record.expiresAt === undefined) book.schedule(id, record.completesAt);
    }
    return book;
  }

  stateOf(bucket: string, key: string, metadata: ObjectMetadata, now = Date.now()): ArchiveState {
    const storageClass = String(metadata['x-amz-storage-class'] ?? 'STANDARD');
    const location = archiveLocation(metadata);
    if (location === undefined) return { storageClass, readable: true };
    const record = this.current(bucket, key, metadata, now);
    if (record === undefined) return { storageClass, location, readable: false };
    if (record.expiresAt === null) return { storageClass, readable: true };
    const ongoing = record.expiresAt === undefined;
    return {
      storageClass,
      location,
      readable: !ongoing,
      restore: ongoing ? { ongoing } : { ongoing, expiresAt: record.expiresAt ?? undefined },
    };
  }

  /** RestoreObject: 202 when a restore starts, 200 when a restored copy had its expiry moved. */
  request(bucket: string, key: string, metadata: ObjectMetadata, request: RestoreRequest): 200 | 202 {
    const now = Date.now();
    const state = this.stateOf(bucket, key, metadata, now);
    const location = state.location;
    if (location === undefined) {
      throw s3Error('InvalidObjectState', "Restore is not allowed for the object's current storage class", {
        StorageClass: state.storageClass,
      });
    }
    const intelligent = state.storageClass === 'INTELLIGENT_TIERING';
    if (intelligent && request.days !== undefined) {
      throw s3Error(
        'InvalidArgument',
        'INTELLIGENT_TIERING objects are not subject to restore expiry. Do not specify Days when restoring this object',
        { ArgumentName: 'Days', ArgumentValue: String(request.days) },
      );
    }
    if (!intelligent && request.days === undefined) {
      throw s3Error('InvalidArgument', 'Days is required when restoring an object of this storage class', {
        ArgumentName: 'Days',
      });
    }
    if (request.tier === 'Expedited' && DEEP.includes(location)) {
      throw s3Error('InvalidArgument', `Expedited retrievals are not available for objects in ${location}`, {
        ArgumentName: 'Tier',
        ArgumentValue: request.tier,
      });
    }
    const id = recordId(bucket, key);
    const record = this.records.get(id);
    if (state.restore?.ongoing) {
      throw s3Error('RestoreAlreadyInProgress', 'Object restore is already in progress');
    }
    if (state.restore && record && request.days !== undefined) {
      // S3 sets the copy's expiry again, from now.
      record.expiresAt = this.expiry(now, request.days);
      this.save();
      return 200;
    }
    const delay =
      this.options.restoreDelayMs?.[location]?.[request.tier] ??
      DEFAULT_RESTORE_DELAY_MS[location][request.tier];
    const started: RestoreRecord = {
      bucket,
      key,
      storageClass: state.storageClass,
      location,
      tier: request.tier,
      ...(request.days === undefined ? {} : { days: request.days }),
      requestedAt: now,
      completesAt: now + delay,
      etag: String(metadata.etag),
      lastModified: String(metadata['last-modified']),
    };
    this.records.set(id, started);
    this.schedule(id, started.completesAt);
    this.save();
    return 202;
  }

  /** The object was written again or deleted: its restore, if any, is gone. */
  forget(bucket: string, key: string): void {
    this.drop(recordId(bucket, key));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    await this.saving;
  }

  /** The object's restore record, when it is the object restored and its copy has not expired. */
  private current(bucket: string, key: string, metadata: ObjectMetadata, now: number) {
    const id = recordId(bucket, key);
    const record = this.records.get(id);
    if (record === undefined) return undefined;
    const expired = typeof record.expiresAt === 'number' && record.expiresAt <= now;
    if (isRestoredObject(record, metadata) && !expired) return record;
    this.drop(id);
    return undefined;
  }

  private drop(id: string): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    if (this.records.delete(id)) this.save();
  }

  /** S3 rounds a restored copy's expiry up to the next midnight UTC: the next whole restore day. */
  private expiry(from: number, days: number): number {
    return Math.ceil((from + days * this.dayMs) / this.dayMs) * this.dayMs;
  }

  private schedule(id: string, at: number): void {
    clearTimeout(this.timers.get(id));
    // A restore asked for while stopping is completed by the next local S3 on the folder.
    if (this.stopped) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(id);
        if (Date.now() < at) this.schedule(id, at);
        else this.track(this.complete(id));
      },
      Math.min(Math.max(0, at - Date.now()), MAX_TIMER_MS),
    );
    timer.unref();
    this.timers.set(id, timer);
  }

  private async complete(id: string): Promise<void> {
    const record = this.records.get(id);
    if (record === undefined || record.expiresAt !== undefined || this.stopped) return;
    let metadata: ObjectMetadata;
    try {
      metadata = await this.options.readMetadata(record.bucket, record.key);
    } catch {
      if (this.records.get(id) === record) this.drop(id);
      return;
    }
    if (this.records.get(id) !== record || this.stopped) return;
    if (!isRestoredObject(record, metadata)) {
      this.drop(id);
      return;
    }
    // Completed when it was due, also when a local S3 started again completes it late.
    record.expiresAt = record.days === undefined ? null : this.expiry(record.completesAt, record.days);
    this.save();
    this.deliver(this.completedEvent(record, metadata));
  }

  private deliver(event: ObjectRestoreCompletedEvent): void {
    const callback = this.options.onRestoreCompleted;
    if (callback === undefined) return;
    this.track(
      (async () => {
        try {
          await callback(event);
        } catch (error) {
          this.options.log('error', 'local S3: onRestoreCompleted failed', {
            bucket: event.detail.bucket.name,
            key: event.detail.object.key,
            error: errorFields(error),
          });
        }
      })(),
    );
  }

  /** The event S3 sends to EventBridge when a restore completes. */
  private completedEvent(record: RestoreRecord, metadata: ObjectMetadata): ObjectRestoreCompletedEvent {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Object Restore Completed',
      source: 'aws.s3',
      account: this.options.account,
      time: isoSeconds(record.completesAt),
      region: this.options.region,
      resources: [`arn:aws:s3:::${record.bucket}`],
      detail: {
        version: '0',
        bucket: { name: record.bucket },
        object: {
          key: record.key,
          size: Number(metadata['content-length']),
          etag: String(metadata.etag).replaceAll('"', ''),
        },
        'request-id': randomBytes(8).toString('hex').toUpperCase(),
        requester: 's3.amazonaws.com',
        ...(typeof record.expiresAt === 'number'
          ? { 'restore-expiry-time': isoSeconds(record.expiresAt) }
          : {}),
        'source-storage-class': record.storageClass,
      },
    };
  }

  private track(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  /** Writes the file after the current write, once for any number of changes meanwhile. */
  private save(): void {
    if (this.dirty) return;
    this.dirty = true;
    this.saving = this.saving
      .then(async () => {
        this.dirty = false;
        const now = Date.now();
        const restores = [...this.records.values()].filter(
          (record) => !(typeof record.expiresAt === 'number' && record.expiresAt <= now),
        );
        const temporary = `${this.options.file}.${process.pid}.tmp`;
        await writeFile(temporary, `${JSON.stringify({ restores }, null, 1)}\n`);
        await rename(temporary, this.options.file);
      })
      .catch((error: unknown) => {
        this.options.log('error', 'local S3: could not save the restores', {
          file: this.options.file,
          error: errorFields(error),
        });
      });
  }
}

async function readRecords(file: string, log: LocalLog): Promise<RestoreRecord[]> {
  const text = await readTextIfExists(file);
  if (text === undefined) return [];
  try {
    const restores = (JSON.parse(text) as { restores?: unknown }).restores;
    if (!Array.isArray(restores)) throw new Error('no restores array');
    return restores.filter(
      (record: Partial<RestoreRecord>) =>
        typeof record.bucket === 'string' &&
        typeof record.key === 'string' &&
        typeof record.completesAt === 'number',
    );
  } catch (error) {
    log('warn', 'local S3: the restores file is unreadable; starting without restores', {
      file,
      error: errorFields(error),
    });
    return [];
  }
}

function isRestoredObject(record: RestoreRecord, metadata: ObjectMetadata): boolean {
  return record.etag === String(metadata.etag) && record.lastModified === String(metadata['last-modified']);
}

function recordId(bucket: string, key: string): string {
  return `${bucket}/${key}`;
}

/** An ISO 8601 time to the second, as S3 writes it in EventBridge events. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
