import type { S3Event } from 'aws-lambda';
import type { Batch } from '../domain/batch.js';
import { GwmError, ManifestGoneError } from '../domain/errors.js';
import { METRICS } from '../domain/metrics.js';
import { batchHeldNotice } from '../domain/notifications/batch-held.js';
import { type Notifier, noticeBatch } from '../domain/notifications.js';
import type { ManifestObjectReader } from '../domain/ports.js';
import { type IntakeDeps, registerManifest } from '../domain/use-cases/intake.js';
import { decodeS3Key } from './adapters/s3-manifest-reader.js';
import type { Telemetry } from './adapters/telemetry.js';
import { isManifestKey } from './event-sources.js';

export interface IntakeHandlerDeps {
  intake: Omit<IntakeDeps, 'owner'>;
  objects: ManifestObjectReader;
  telemetry: Telemetry;
  newOwner: () => string;
  /** Told about rejected manifests and batches held over their budget. */
  notifier: Notifier;
  /** Named in notices, for the console edits they describe. */
  tableName?: string;
  /** Manifests are taken under this key prefix only (MANIFEST_PREFIX; default: anywhere). */
  manifestPrefix?: string;
}

/** The configuration test message S3 sends when a notification is set up has no Records. */
type S3Notification = S3Event | { Event?: string; Records?: undefined };

/** S3's `Object Created` event on EventBridge: how an existing manifest bucket's uploads arrive. */
export interface S3ObjectCreatedEvent {
  source: 'aws.s3';
  'detail-type': 'Object Created';
  detail: {
    bucket: { name: string };
    object: { key: string; etag?: string; 'version-id'?: string };
    requester?: string;
  };
}

/** One new object, whichever way S3 told about it; `key` decoded. */
interface Upload {
  bucket: string;
  key: string;
  versionId?: string;
  eTag?: string;
  submittedBy?: string;
}

/**
 * The new objects an event tells about. Both S3 notifications and EventBridge events carry the key
 * form-URL-encoded (a space is `+`).
 */
function uploadsOf(event: S3Notification | S3ObjectCreatedEvent): Upload[] | undefined {
  if ('detail' in event) {
    if (event['detail-type'] !== 'Object Created') return [];
    const { bucket, object, requester } = event.detail;
    return [
      {
        bucket: bucket.name,
        key: decodeS3Key(object.key),
        versionId: object['version-id'],
        eTag: object.etag,
        submittedBy: requester,
      },
    ];
  }
  if (!event.Records) return undefined;
  return event.Records.filter((record) => record.eventName.startsWith('ObjectCreated')).map((record) => ({
    bucket: record.s3.bucket.name,
    key: decodeS3Key(record.s3.object.key),
    versionId: record.s3.object.versionId,
    eTag: record.s3.object.eTag,
    submittedBy: record.userIdentity?.principalId,
  }));
}

/** S3 ObjectCreated -> register the manifest (or record why it was rejected). */
export function makeIntakeHandler(deps: IntakeHandlerDeps) {
  const { logger } = deps.telemetry;
  const restoresCounted = {
    ...deps.intake.restores,
    onRequested: () => deps.telemetry.count(METRICS.restoresRequested),
    onFailed: (uri: string, reason: string) => {
      deps.telemetry.count(METRICS.restoresFailed);
      logger.warn('archived input cannot be restored; the launches that need it fail', { uri, reason });
    },
  };
  const prefix = deps.manifestPrefix ?? '';
  return async (event: S3Notification | S3ObjectCreatedEvent): Promise<void> => {
    const uploads = uploadsOf(event);
    if (!uploads) {
      logger.info('ignored an S3 notification without records', {
        s3Event: (event as { Event?: string }).Event,
      });
      return;
    }
    const failures: unknown[] = [];
    for (const { bucket, key, versionId, eTag, submittedBy } of uploads) {
      if (!isManifestKey(key, prefix)) {
        // The bucket's notifications cannot test both the prefix and the name's case.
        logger.info('ignored an object that is not a manifest', { object: `s3://${bucket}/${key}`, prefix });
        continue;
      }
      logger.appendKeys({ manifest: `s3://${bucket}/${key}` });
      try {
        const object = await deps.objects.read(bucket, key, {
          versionId,
          maxBytes: deps.intake.limits.maxBytes,
        });
        const outcome = await registerManifest(
          { ...deps.intake, owner: deps.newOwner(), restores: restoresCounted },
          {
            bucket,
            key,
            ...object,
            eTag: object.eTag ?? eTag,
            submittedBy,
          },
        );
        logger.appendKeys({ batchId: outcome.batch.batchId });
        switch (outcome.kind) {
          case 'registered':
            deps.telemetry.count(METRICS.manifestsAccepted);
            deps.telemetry.count(METRICS.launchesRegistered, outcome.launchesWritten);
            logger.info('manifest registered', {
              samples: outcome.batch.sampleCount,
              launchesWritten: outcome.launchesWritten,
              released: outcome.released,
              resumed: outcome.resumed,
            });
            break;
          case 'held':
            deps.telemetry.count(METRICS.manifestsAccepted);
            deps.telemetry.count(METRICS.launchesRegistered, outcome.launchesWritten);
            logger.warn('batch held over its budget; nothing released', {
              samples: outcome.batch.sampleCount,
              budgetMaxUsd: outcome.batch.budgetMaxUsd,
              estimate: outcome.batch.estimate,
            });
            await notifyHeld(deps, outcome.batch);
            break;
          case 'rejected':
            deps.telemetry.count(METRICS.manifestsRejected);
            logger.warn('manifest rejected', {
              problemCount: outcome.problems.length,
              problems: outcome.problems.slice(0, 20),
            });
            if (outcome.batch.notifications?.onRejected === false)
              logger.info('manifest-rejected notification off in the manifest');
            else await notifyRejected(deps, outcome.batch);
            break;
          case 'duplicate':
            deps.telemetry.count(METRICS.manifestsDuplicate);
            logger.info('manifest already handled', { status: outcome.batch.status });
            break;
        }
      } catch (error) {
        if (error instanceof ManifestGoneError) {
          // Deleted (or overwritten under a version) before we read it: nothing is left to register.
          logger.warn('manifest object no longer exists; nothing registered', { error: error as Error });
          continue;
        }
        logger.error('manifest not registered; it will be retried', {
          error: error as Error,
          code: error instanceof GwmError ? error.code : undefined,
        });
        failures.push(error);
      } finally {
        logger.removeKeys(['manifest', 'batchId']);
      }
    }
    // S3 invokes asynchronously: a thrown error makes Lambda retry the whole event, which is
    // safe because registration resumes and never duplicates.
    if (failures.length > 0)
      throw new AggregateError(failures, `${failures.length} manifest(s) not registered`);
  };
}

/**
 * Sent once: only the invocation that created the REJECTED batch gets here. A failed send is
 * logged, not retried (the rejected batch and its problems stay on the table for people to read).
 */
async function notifyRejected(deps: IntakeHandlerDeps, batch: Batch): Promise<void> {
  try {
    await deps.notifier.send({
      kind: 'manifest-rejected',
      ...noticeBatch(batch),
      sourceUri: batch.sourceUri,
      problemCount: batch.problemCount ?? batch.problems?.length ?? 0,
      problems: batch.problems ?? [],
    });
    deps.telemetry.count(METRICS.notificationsSent);
  } catch (error) {
    deps.telemetry.logger.warn('manifest-rejected notification not sent', { error: error as Error });
  }
}

/**
 * Sent by the invocation that held the batch. A failed send is logged, not retried: the batch
 * item holds the estimate and the budget, and `gwm status` shows it held.
 */
async function notifyHeld(deps: IntakeHandlerDeps, batch: Batch): Promise<void> {
  try {
    await deps.notifier.send(batchHeldNotice(batch, deps.tableName));
    deps.telemetry.count(METRICS.notificationsSent);
  } catch (error) {
    deps.telemetry.logger.warn('batch-held notification not sent', { error: error as Error });
  }
}
