/**
 * What S3 says of a launch's input before the launch is allowed to run: the object exists and can
 * be read, and whether it sits in an archive tier that needs a restore first. The adapters turn
 * HeadObject / ListObjectsV2 answers into an InputState; everything here is pure.
 */

/** The parts of a HeadObject answer that say whether an object can be read now. */
export interface ObjectArchiveFields {
  /** `StorageClass` (absent for STANDARD). */
  storageClass?: string;
  /** `ArchiveStatus` of an INTELLIGENT_TIERING object: ARCHIVE_ACCESS or DEEP_ARCHIVE_ACCESS. */
  archiveStatus?: string;
  /** The `Restore` header: `ongoing-request="true"`, or `ongoing-request="false", expiry-date="…"`. */
  restore?: string;
}

export type InputState =
  /** An object (or a folder with at least one object under it) gwm could read the metadata of. */
  | ({
      kind: 'present';
      /** Bytes of the object, or of every object under a folder; absent when it could not be summed. */
      sizeBytes?: number;
      /** A folder input: this many objects were seen under it. */
      objectCount?: number;
    } & ObjectArchiveFields)
  | { kind: 'missing'; reason: string }
  /** S3 refused gwm (AccessDenied, a KMS key it may not use): the run would be refused too. */
  | { kind: 'unreadable'; reason: string }
  /** S3 did not answer (throttled, failing after the SDK's retries): ask again later, judge nothing. */
  | { kind: 'unknown'; reason: string };

export type Availability =
  | { kind: 'readable' }
  /** In an archive tier with no restored copy and no restore under way. */
  | { kind: 'archived'; storageClass: string }
  | { kind: 'restoring'; storageClass: string }
  /** A restored copy exists until `expiresAt` (ISO). */
  | { kind: 'restored'; storageClass: string; expiresAt?: string };

const ARCHIVE_CLASSES = new Set(['GLACIER', 'DEEP_ARCHIVE']);
const ARCHIVE_TIERS = new Set(['ARCHIVE_ACCESS', 'DEEP_ARCHIVE_ACCESS']);

/**
 * Whether an object can be read now. GLACIER and DEEP_ARCHIVE need a restored copy; an
 * INTELLIGENT_TIERING object needs one only while it has an ArchiveStatus (it then moves back to
 * frequent access and loses the status). GLACIER_IR and every other class read as they are.
 */
export function availabilityOf(fields: ObjectArchiveFields): Availability {
  const storageClass = fields.storageClass ?? 'STANDARD';
  const archived =
    ARCHIVE_CLASSES.has(storageClass) ||
    (storageClass === 'INTELLIGENT_TIERING' &&
      fields.archiveStatus !== undefined &&
      ARCHIVE_TIERS.has(fields.archiveStatus));
  if (!archived) return { kind: 'readable' };
  const restore = parseRestoreHeader(fields.restore);
  if (restore === undefined) return { kind: 'archived', storageClass };
  if (restore.ongoing) return { kind: 'restoring', storageClass };
  return {
    kind: 'restored',
    storageClass,
    ...(restore.expiresAt !== undefined && { expiresAt: restore.expiresAt }),
  };
}

/** `ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"` → { ongoing: false, expiresAt }. */
export function parseRestoreHeader(
  header: string | undefined,
): { ongoing: boolean; expiresAt?: string } | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const ongoing = /ongoing-request\s*=\s*"?(true|false)"?/i.exec(header);
  if (!ongoing?.[1]) return undefined;
  const expiry = /expiry-date\s*=\s*"([^"]+)"/i.exec(header);
  const expires = expiry?.[1] === undefined ? Number.NaN : Date.parse(expiry[1]);
  return {
    ongoing: ongoing[1].toLowerCase() === 'true',
    ...(Number.isFinite(expires) && { expiresAt: new Date(expires).toISOString() }),
  };
}

/** An input that must be restored before it can be read, as intake found it. */
export interface ArchivedFinding {
  uri: string;
  storageClass: string;
  /** The class, or an Intelligent-Tiering object's archive status. */
  archiveTier: string;
  /** Archived with nothing under way, or being restored already (someone asked). */
  seen: 'archived' | 'restoring';
}

/** The inputs among `uris` that are archived with no readable copy (restoring or not). */
export function archivedFindings(
  uris: Iterable<string>,
  states: ReadonlyMap<string, InputState>,
): Map<string, ArchivedFinding> {
  const found = new Map<string, ArchivedFinding>();
  for (const uri of uris) {
    const state = states.get(uri);
    if (state?.kind !== 'present' || found.has(uri)) continue;
    const availability = availabilityOf(state);
    if (availability.kind !== 'archived' && availability.kind !== 'restoring') continue;
    found.set(uri, {
      uri,
      storageClass: availability.storageClass,
      archiveTier:
        availability.storageClass === 'INTELLIGENT_TIERING'
          ? (state.archiveStatus ?? 'ARCHIVE_ACCESS')
          : availability.storageClass,
      seen: availability.kind,
    });
  }
  return found;
}
