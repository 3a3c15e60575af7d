import {
  type Batch,
  type BatchStatus,
  batchIdFor,
  sha256Hex,
  UNFINISHED_REGISTRATION_STATUSES,
} from '../batch.js';
import { describeError, ManifestGoneError, RetryableError } from '../errors.js';
import type { ManifestObjectContent, ManifestObjectReader } from '../ports.js';
import { parseS3Uri, type S3Location } from '../s3-uri.js';
import { type IntakeDeps, registerManifest } from './intake.js';

export interface RegistrationResumeDeps {
  /** What the intake registers with, under this reconciler run's own lease owner. */
  intake: IntakeDeps;
  /** The intake's own reader of the manifest bucket. */
  manifests: ManifestObjectReader;
}

export interface RegistrationResumeOptions {
  /** A registration whose batch has not changed for this long (and whose lease has run out) is resumed. */
  quietForMs: number;
  /** Batches looked at per call: a resumed registration writes every launch of its batch. */
  max: number;
}

export interface ResumedRegistration {
  batchId: string;
  from: BatchStatus;
  status: BatchStatus;
  launchesWritten: number;
  released: number;
}

/**
 * A registration the reconciler cannot finish by itself. gone: the object (or the version the
 * batch came from) no longer exists; changed: the object now holds other bytes (overwritten in a
 * bucket without versioning); invalid: the manifest no longer passes this deployment's checks.
 */
export interface UnresumableRegistration {
  batchId: string;
  sourceUri: string;
  status: BatchStatus;
  reason: 'gone' | 'changed' | 'invalid';
  message: string;
}

export interface RegistrationResumeReport {
  /** Stalled registrations looked at. */
  checked: number;
  resumed: ResumedRegistration[];
  /** Left as they are, reported for a person to upload the manifest again; looked at again after `quietForMs`. */
  unresumable: UnresumableRegistration[];
  /** Registrations another invocation (a late intake delivery) held or finished while this one looked. */
  busy: string[];
  errors: Array<{ batchId: string; message: string }>;
}

const PAGE = 100;

/**
 * Whether a batch's registration stopped for good: REGISTERING with its lease run out, or
 * REGISTERED (written, not released), and unchanged for `quietForMs`. Before that, the intake
 * (or S3's retry of it) may still be at work; a lease that is still live always means it is.
 */
export function registrationStalled(batch: Batch, now: Date, quietForMs: number): boolean {
  if (!(UNFINISHED_REGISTRATION_STATUSES as readonly BatchStatus[]).includes(batch.status)) return false;
  if (Date.parse(batch.updatedAt) > now.getTime() - quietForMs) return false;
  if (batch.status === 'REGISTERING' && batch.registrationExpiresAt !== undefined) {
    return Date.parse(batch.registrationExpiresAt) <= now.getTime();
  }
  return true;
}

/**
 * Why the object read is not the manifest the batch was registered from, or undefined when it is.
 * The batch id is a hash of the bucket, the key and the content: anything else would register a
 * new batch rather than finish this one.
 */
export function sourceMismatch(
  batch: Batch,
  location: S3Location,
  content: ManifestObjectContent,
): string | undefined {
  if (content.text === undefined) {
    return `${batch.sourceUri} is now ${content.sizeBytes} bytes, larger than the manifest limit: it was overwritten since`;
  }
  const sha256 = sha256Hex(content.text);
  if (sha256 !== batch.contentSha256) {
    return `${batch.sourceUri} now holds other content (sha256 ${sha256}, the batch was registered from ${batch.contentSha256}): it was overwritten since`;
  }
  if (batchIdFor(location.bucket, location.key, sha256) !== batch.batchId) {
    return `${batch.sourceUri} is not where batch ${batch.batchId} was uploaded (its sourceUri was edited)`;
  }
  return undefined;
}

/**
 * The reconciler's registration repair. Every delivery of an upload event can fail (S3 invokes
 * the intake asynchronously, three attempts, then the event is dead-lettered): the batch then
 * stays REGISTERING or REGISTERED and none of its launches is ever released. A stalled
 * registration is read again from its source manifest and handed to `registerManifest`, which
 * resumes it (takes over the expired lease, writes the deterministic launch items again, releases
 * them). Safe beside a late intake delivery doing the same: the lease and every write are
 * conditional, so one of them registers and the other finds it taken or done.
 */
export async function resumeRegistrations(
  deps: RegistrationResumeDeps,
  options: RegistrationResumeOptions,
): Promise<RegistrationResumeReport> {
  const report: RegistrationResumeReport = { checked: 0, resumed: [], unresumable: [], busy: [], errors: [] };
  const now = deps.intake.now();
  let cursor: string | undefined;
  do {
    const page = await deps.intake.batches.listUnfinishedRegistrations({ cursor, limit: PAGE });
    for (const batch of page.items) {
      if (!registrationStalled(batch, now, options.quietForMs)) continue;
      if (report.checked >= options.max) return report;
      report.checked++;
      try {
        await resumeOne(deps, batch, report);
      } catch (error) {
        if (error instanceof RetryableError && error.code.startsWith('REGISTRATION_')) {
          report.busy.push(batch.batchId);
          continue;
        }
        const message = describeError(error);
        report.errors.push({ batchId: batch.batchId, message });
      }
    }
    cursor = page.cursor;
  } while (cursor);
  return report;
}

async function resumeOne(deps: RegistrationResumeDeps, batch: Batch, report: RegistrationResumeReport) {
  const unresumable = async (reason: UnresumableRegistration['reason'], message: string) => {
    report.unresumable.push({
      batchId: batch.batchId,
      sourceUri: batch.sourceUri,
      status: batch.status,
      reason,
      message,
    });
    await markLookedAt(deps, batch);
  };

  const location = parseS3Uri(batch.sourceUri);
  if (!location || location.key === '') {
    return unresumable('changed', `${batch.sourceUri} is not the s3://bucket/key of a manifest`);
  }
  let content: ManifestObjectContent;
  try {
    content = await deps.manifests.read(location.bucket, location.key, {
      versionId: batch.sourceVersionId,
      maxBytes: deps.intake.limits.maxBytes,
    });
  } catch (error) {
    if (error instanceof ManifestGoneError) return unresumable('gone', error.message);
    throw error;
  }
  const mismatch = sourceMismatch(batch, location, content);
  if (mismatch) return unresumable('changed', mismatch);

  const outcome = await registerManifest(deps.intake, {
    bucket: location.bucket,
    key: location.key,
    ...content,
    eTag: content.eTag ?? batch.sourceETag,
  });
  if (outcome.kind === 'registered' || outcome.kind === 'held') {
    // A held batch has finished its registration too: it waits for a person, not for the reconciler.
    report.resumed.push({
      batchId: batch.batchId,
      from: batch.status,
      status: outcome.batch.status,
      launchesWritten: outcome.launchesWritten,
      released: outcome.kind === 'registered' ? outcome.released : 0,
    });
    return;
  }
  // A REGISTERING batch whose manifest no longer parses comes back as itself, unchanged: its
  // rejection cannot be written over the batch already there.
  const stillStalled = (UNFINISHED_REGISTRATION_STATUSES as readonly BatchStatus[]).includes(
    outcome.batch.status,
  );
  if (outcome.kind === 'rejected' || stillStalled) {
    return unresumable(
      'invalid',
      `${batch.sourceUri} no longer passes this deployment's checks (a workflow profile, an allowed ` +
        'prefix or a limit it relies on changed since it was uploaded); once it passes again, the ' +
        'reconciler finishes it',
    );
  }
  // Finished meanwhile by a late intake delivery.
  report.busy.push(batch.batchId);
}

/**
 * Moves `updatedAt`, so a registration that cannot be resumed is reported once per quiet period
 * and does not take the place of the others in every run.
 */
async function markLookedAt(deps: RegistrationResumeDeps, batch: Batch): Promise<void> {
  const at = deps.intake.now().toISOString();
  // A lost race means someone changed the batch (an upload of the manifest again): fine either way.
  await deps.intake.batches.replace(batch, { ...batch, updatedAt: at, revision: batch.revision + 1 });
}
