import { S3Client } from '@aws-sdk/client-s3';
import type { InputInspector, ManifestObjectReader, ObjectStore } from '../../domain/ports.js';
import type { RestoreDeps } from '../../domain/use-cases/request-restores.js';
import { makeS3InputInspector } from '../adapters/s3-input-inspector.js';
import { makeS3ManifestReader } from '../adapters/s3-manifest-reader.js';
import { makeS3ObjectRestorer } from '../adapters/s3-object-restorer.js';
import { makeS3ObjectStore } from '../adapters/s3-object-store.js';
import type { Base } from './base.js';

function s3Of(base: Base): S3Client {
  const endpoint = base.config.S3_ENDPOINT;
  return base.share(
    s3Of,
    () =>
      base.overrides.s3 ??
      new S3Client({ region: base.region, endpoint, forcePathStyle: endpoint !== undefined }),
  );
}

/** Restores of archived inputs: requested in S3, followed on the table. */
export function restoresOf(base: Base): RestoreDeps {
  const { config } = base;
  return base.share(restoresOf, () => ({
    restores: base.restores,
    restorer: base.overrides.restorer ?? makeS3ObjectRestorer(s3Of(base)),
    settings: {
      tier: config.RESTORE_TIER,
      days: config.RESTORE_DAYS,
      minuteMs: config.RECONCILE_TIME_UNIT_SECONDS * 1000,
    },
    now: base.now,
    concurrency: 8,
  }));
}

/** What S3 says of a manifest's inputs (present, missing, archived, their sizes). */
export function inputsOf(base: Base): InputInspector {
  return base.share(
    inputsOf,
    () =>
      base.overrides.inputs ??
      makeS3InputInspector(s3Of(base), { concurrency: base.config.INPUT_CHECK_CONCURRENCY }),
  );
}

/** The intake and the reconciler (resuming a registration) read manifests alike. */
export function manifestsOf(base: Base): ManifestObjectReader {
  return base.share(manifestsOf, () => base.overrides.manifests ?? makeS3ManifestReader(s3Of(base)));
}

/** Where the QC list of sample outputs is written. */
export function objectStoreOf(base: Base): ObjectStore {
  return base.share(objectStoreOf, () => base.overrides.objectStore ?? makeS3ObjectStore(s3Of(base)));
}
