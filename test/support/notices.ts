import type {
  BatchCompletedNotice,
  LaunchFailedNotice,
  ManifestRejectedNotice,
} from '../../domain/notifications.js';

/**
 * The notices the notification tests send: batch HK3H3BBXY (b-hk3) from lab-manifests, finished
 * with one failed sample and QC skipped; each test changes what it is about.
 */
export function aBatchCompletedNotice(overrides: Partial<BatchCompletedNotice> = {}): BatchCompletedNotice {
  return {
    kind: 'batch-completed',
    batchId: 'b-hk3',
    batchName: 'HK3H3BBXY',
    sourceUri: 's3://lab-manifests/incoming/HK3H3BBXY.json',
    round: 1,
    outcome: 'COMPLETED_WITH_FAILURES',
    counts: { total: 3, succeeded: 2, failed: 1, cancelled: 0, launchFailed: 0, deleted: 0 },
    startedAt: '2024-05-01T10:00:00.000Z',
    finishedAt: '2024-05-01T10:45:00.000Z',
    failures: [
      {
        sampleId: 'S2',
        launchId: 'b-hk3/S2',
        status: 'FAILED',
        attempt: 1,
        runId: '7002',
        failureReason: 'out of memory',
        logLocation: '/aws/omics/WorkflowLog:run/7002',
      },
    ],
    qc: { state: 'SKIPPED', reason: 'policy all-succeeded not met' },
    ...overrides,
  };
}

/** Manifest cohort-7 (b-bad), rejected for having no samples. */
export function aManifestRejectedNotice(
  overrides: Partial<ManifestRejectedNotice> = {},
): ManifestRejectedNotice {
  return {
    kind: 'manifest-rejected',
    batchId: 'b-bad',
    batchName: 'cohort-7',
    sourceUri: 's3://lab-manifests/incoming/cohort-7.json',
    problemCount: 1,
    problems: [{ path: '$.samples', code: 'SCHEMA', message: 'must have at least 1 item' }],
    ...overrides,
  };
}

/** Sample S3 of HK3H3BBXY, whose StartRun HealthOmics refused. */
export function aLaunchFailedNotice(overrides: Partial<LaunchFailedNotice> = {}): LaunchFailedNotice {
  return {
    kind: 'launch-failed',
    batchId: 'b-hk3',
    batchName: 'HK3H3BBXY',
    sample: {
      sampleId: 'S3',
      launchId: 'b-hk3/S3',
      status: 'LAUNCH_FAILED',
      attempt: 1,
      failureReason: 'no such workflow',
    },
    ...overrides,
  };
}
