import { describe, expect, it } from 'vitest';
import {
  type BatchCompletedNotice,
  batchCompletedDetailV1,
  DETAIL_TYPES,
  EVENT_DETAIL_SCHEMAS,
  formatDuration,
  GWM_EVENT_SOURCE,
  launchFailedDetailV1,
  manifestRejectedDetailV1,
  type Notice,
  renderNotice,
  type SampleOutcome,
  toEventDetail,
  utf8Length,
} from '../../domain/notifications.js';
import { aBatchCompletedNotice, aLaunchFailedNotice, aManifestRejectedNotice } from '../support/notices.js';

const PRINTABLE_ASCII = /^[ -~]+$/;
const EVENTBRIDGE_ENTRY_LIMIT = 256 * 1024;

function failure(sampleId: string, overrides: Partial<SampleOutcome> = {}): SampleOutcome {
  return {
    sampleId,
    launchId: `b-hk3/${sampleId}`,
    status: 'FAILED',
    attempt: 1,
    runId: `70${sampleId.replace(/\D/g, '')}`,
    failureReason: `Task align of ${sampleId} exited with code 137 (out of memory)`,
    logLocation: `/aws/omics/WorkflowLog:run/70${sampleId.replace(/\D/g, '')}`,
    logExcerpt: ['starting align', 'reading R1', 'bwa mem: killed', `ERROR: ${sampleId} failed`].join('\n'),
    ...overrides,
  };
}

function batchNotice(overrides: Partial<BatchCompletedNotice> = {}): BatchCompletedNotice {
  return aBatchCompletedNotice({
    counts: { total: 48, succeeded: 45, failed: 2, cancelled: 0, launchFailed: 1, deleted: 0 },
    startedAt: '2024-05-01T10:00:00.000Z',
    finishedAt: '2024-05-01T12:14:30.000Z',
    failures: [
      failure('S07'),
      failure('S19', { attempt: 2 }),
      {
        sampleId: 'S33',
        launchId: 'b-hk3/S33',
        status: 'LAUNCH_FAILED',
        attempt: 1,
        failureReason: 'ValidationException: parameter input_fastq is required',
      },
    ],
    qc: {
      state: 'COMPLETED',
      launchId: 'b-hk3/_qc',
      runId: '7099',
      outputUri: 's3://lab-results/HK3H3BBXY/qc/',
    },
    tableName: 'gwm-launches',
    ...overrides,
  });
}

/** A batch of 5,000 failed samples, each with a long log excerpt and a long reason. */
function hugeBatch(): BatchCompletedNotice {
  const longLine = `${'x'.repeat(380)} é ✓ 🧬`;
  const failures = Array.from({ length: 5000 }, (_, i) =>
    failure(`S${String(i).padStart(4, '0')}`, {
      failureReason: `reason ${i}: ${'out of memory; '.repeat(40)}`,
      logExcerpt: Array.from({ length: 50 }, (__, line) => `${line} ${longLine}`).join('\n'),
    }),
  );
  return batchNotice({
    outcome: 'FAILED',
    counts: { total: 5000, succeeded: 0, failed: 5000, cancelled: 0, launchFailed: 0, deleted: 0 },
    failures,
    qc: { state: 'SKIPPED', reason: 'fewer than 90% of the samples succeeded' },
  });
}

const rejected = aManifestRejectedNotice({
  problemCount: 2,
  problems: [
    { path: '$.samples[2].id', code: 'DUPLICATE_SAMPLE_ID', message: 'sample id S1 appears twice' },
    {
      path: '$.samples[4].inputs.fastq',
      code: 'READ_PREFIX_NOT_ALLOWED',
      message: 's3://elsewhere/x.fq is not under an allowed read prefix',
    },
  ],
});

const launchFailed = aLaunchFailedNotice({
  sample: {
    sampleId: 'S33',
    launchId: 'b-hk3/S33',
    status: 'LAUNCH_FAILED',
    attempt: 1,
    failureReason: 'ValidationException: parameter input_fastq is required',
  },
});

describe('renderNotice: subject', () => {
  it('names the batch, the failures and the success count', () => {
    const { subject } = renderNotice(batchNotice());
    expect(subject).toBe('gwm: HK3H3BBXY completed with 3 failures (45/48 succeeded)');
  });

  it('stays printable ASCII under 100 characters whatever the batch name holds', () => {
    const notices: Notice[] = [
      batchNotice({ batchName: `Séquençage\tflowcell\n${'🧬'.repeat(80)}${'long-name-'.repeat(30)}` }),
      {
        ...launchFailed,
        batchName: 'x'.repeat(500),
        sample: { ...launchFailed.sample, sampleId: 'ü'.repeat(300) },
      },
      { ...rejected, batchName: `naïve\r\n${'名前'.repeat(100)}` },
    ];
    for (const notice of notices) {
      const { subject } = renderNotice(notice);
      expect(subject.length).toBeLessThan(100);
      expect(subject).toMatch(PRINTABLE_ASCII);
      expect(subject.startsWith('gwm: ')).toBe(true);
    }
    expect(renderNotice(notices[0] as Notice).subject).toContain('Sequencage flowcell');
  });

  it('says when every sample succeeded, when QC failed and which round it is', () => {
    const allGood = batchNotice({
      outcome: 'COMPLETED',
      counts: { total: 48, succeeded: 48, failed: 0, cancelled: 0, launchFailed: 0, deleted: 0 },
      failures: [],
    });
    expect(renderNotice(allGood).subject).toBe('gwm: HK3H3BBXY completed (48/48 succeeded)');
    const qcFailed = batchNotice({ round: 2, qc: { state: 'FAILED', failureReason: 'report step failed' } });
    expect(renderNotice(qcFailed).subject).toBe(
      'gwm: HK3H3BBXY completed with 3 failures, QC failed (45/48 succeeded, round 2)',
    );
  });
});

describe('renderNotice: batch completed', () => {
  it('lists the batch, counts, duration, each failure with its log, the QC output and how to retry', () => {
    const { text } = renderNotice(batchNotice());
    expect(text).toContain('HK3H3BBXY (id b-hk3)');
    expect(text).toContain('s3://lab-manifests/incoming/HK3H3BBXY.json');
    expect(text).toContain('COMPLETED_WITH_FAILURES');
    expect(text).toContain('48 total, 45 succeeded, 2 failed, 1 could not be started');
    expect(text).toContain('2 h 14 min');
    expect(text).toContain('Samples that did not succeed (3):');
    expect(text).toContain('  - S07: FAILED, attempt 1, run 7007 (launch b-hk3/S07)');
    expect(text).toContain('  - S19: FAILED, attempt 2, run 7019 (launch b-hk3/S19)');
    expect(text).toContain('  - S33: LAUNCH_FAILED, attempt 1 (launch b-hk3/S33)');
    expect(text).toContain('reason: Task align of S07 exited with code 137 (out of memory)');
    expect(text).toContain('reason: ValidationException: parameter input_fastq is required');
    expect(text).toContain('logs:   /aws/omics/WorkflowLog:run/7007');
    expect(text).toContain('\n        bwa mem: killed\n        ERROR: S07 failed\n');
    expect(text).toContain('completed (run 7099, launch b-hk3/_qc)');
    expect(text).toContain('output: s3://lab-results/HK3H3BBXY/qc/');
    expect(text).toContain(
      'set `status` to `RETRY` on the launch item in the DynamoDB console (table gwm-launches), or `gwm retry --batch b-hk3 --failed`',
    );
    expect(text).not.toContain('not listed');
  });

  it('says why QC was skipped, and points to the gwm table when no table name is known', () => {
    const { text } = renderNotice(
      batchNotice({
        qc: { state: 'SKIPPED', reason: 'policy all-succeeded not met: 3 samples did not succeed' },
        tableName: undefined,
      }),
    );
    expect(text).toContain('skipped: policy all-succeeded not met: 3 samples did not succeed');
    expect(text).toContain('in the DynamoDB console (the gwm table)');
  });

  it('has no retry section when everything succeeded', () => {
    const { text } = renderNotice(
      batchNotice({
        outcome: 'COMPLETED',
        counts: { total: 2, succeeded: 2, failed: 0, cancelled: 0, launchFailed: 0, deleted: 0 },
        failures: [],
        qc: { state: 'NONE' },
      }),
    );
    expect(text).toContain('none (this manifest has no QC step)');
    expect(text).not.toContain('RETRY');
    expect(text).not.toContain('did not succeed');
  });

  it('drops log lines first when the message would be too long', () => {
    const notice = batchNotice();
    const full = renderNotice(notice).text;
    const maxBytes = utf8Length(full) - 10;
    const { text } = renderNotice(notice, { maxBytes });
    expect(utf8Length(text)).toBeLessThanOrEqual(maxBytes);
    expect(text).toContain('ERROR: S07 failed');
    expect(text).not.toContain('ERROR: S19 failed');
    expect(text).toContain('  - S19: FAILED, attempt 2');
    expect(text).toContain('(log lines of 1 sample left out to keep this message short)');
    expect(text).not.toContain('not listed');
  });

  it('keeps 5,000 failures with long logs under maxBytes and says how many were left out', () => {
    const notice = hugeBatch();
    for (const maxBytes of [250_000, 20_000]) {
      const { subject, text } = renderNotice(notice, { maxBytes });
      expect(utf8Length(text)).toBeLessThanOrEqual(maxBytes);
      expect(subject).toBe('gwm: HK3H3BBXY failed with 5000 failures (0/5000 succeeded)');
      const listed = text.match(/^ {2}- S\d{4}: /gm)?.length ?? 0;
      expect(listed).toBeGreaterThan(0);
      expect(listed).toBeLessThan(5000);
      expect(text).toContain(
        `… and ${5000 - listed} more failed samples not listed (see gwm history --batch b-hk3)`,
      );
      expect(text).not.toContain('last log lines:');
      // What is listed comes first: the cut is from the end.
      expect(text).toContain('  - S0000: FAILED');
      expect(text).toContain('skipped: fewer than 90% of the samples succeeded');
      expect(text).toContain('gwm retry --batch b-hk3 --failed');
    }
  });

  it('uses the default limit, under SNS 256 KB', () => {
    const { text } = renderNotice(hugeBatch());
    expect(utf8Length(text)).toBeLessThanOrEqual(250_000);
    expect(utf8Length(text)).toBeGreaterThan(200_000);
  });

  it('counts failures the list does not hold', () => {
    const { text } = renderNotice(
      batchNotice({
        counts: { total: 48, succeeded: 40, failed: 8, cancelled: 0, launchFailed: 0, deleted: 0 },
      }),
    );
    expect(text).toContain('Samples that did not succeed (8):');
    expect(text).toContain('… and 5 more failed samples not listed');
  });
});

describe('renderNotice: launch failed and manifest rejected', () => {
  it('says which sample could not be started, why, and how to retry it', () => {
    const { subject, text } = renderNotice(launchFailed);
    expect(subject).toBe('gwm: HK3H3BBXY sample S33 could not be started (attempt 1)');
    expect(text).toContain('Sample S33 of batch HK3H3BBXY could not be started.');
    expect(text).toContain('Reason:    ValidationException: parameter input_fastq is required');
    expect(text).toContain('`status` to `RETRY` on launch b-hk3/S33');
    expect(text).toContain('gwm retry --batch b-hk3 --sample S33');
  });

  it('shows the reason and last log lines of a run that failed', () => {
    const { subject, text } = renderNotice({ ...launchFailed, sample: failure('S07', { attempt: 2 }) });
    expect(subject).toBe('gwm: HK3H3BBXY sample S07 failed (attempt 2)');
    expect(text).toContain('Status:    FAILED, attempt 2');
    expect(text).toContain('Logs:      /aws/omics/WorkflowLog:run/7007');
    expect(text).toContain('Last log lines:\n    starting align\n');
    expect(text).toContain('    ERROR: S07 failed\n');
  });

  it('lists every problem of a rejected manifest as path, code, message', () => {
    const { subject, text } = renderNotice(rejected);
    expect(subject).toBe('gwm: cohort-7 manifest rejected (2 problems)');
    expect(text).toContain('Manifest cohort-7 was rejected: 2 problems. Nothing was launched.');
    expect(text).toContain('s3://lab-manifests/incoming/cohort-7.json');
    expect(text).toMatch(/\$\.samples\[2\]\.id +DUPLICATE_SAMPLE_ID +sample id S1 appears twice/);
    expect(text).toMatch(
      /\$\.samples\[4\]\.inputs\.fastq +READ_PREFIX_NOT_ALLOWED +s3:\/\/elsewhere\/x\.fq is not under/,
    );
    expect(text).not.toContain('not listed');
  });

  it('cuts a long list of problems and counts the ones not listed', () => {
    const problems = Array.from({ length: 500 }, (_, i) => ({
      path: `$.samples[${i}].outputUri`,
      code: 'WRITE_PREFIX_NOT_ALLOWED' as const,
      message: `s3://nowhere/${'deep/'.repeat(40)}${i}/ is not under an allowed write prefix`,
    }));
    const { text } = renderNotice({ ...rejected, problemCount: 12_000, problems }, { maxBytes: 30_000 });
    expect(utf8Length(text)).toBeLessThanOrEqual(30_000);
    const listed = text.match(/^ {2}\$\.samples/gm)?.length ?? 0;
    expect(listed).toBeGreaterThan(10);
    expect(listed).toBeLessThan(500);
    expect(text).toContain(`… and ${12_000 - listed} more problems not listed`);
  });
});

describe('formatDuration', () => {
  it('reads like a person would say it', () => {
    expect(formatDuration('2024-05-01T10:00:00Z', '2024-05-01T10:00:45Z')).toBe('45 s');
    expect(formatDuration('2024-05-01T10:00:00Z', '2024-05-01T10:03:20Z')).toBe('3 min 20 s');
    expect(formatDuration('2024-05-01T10:00:00Z', '2024-05-01T12:14:00Z')).toBe('2 h 14 min');
    expect(formatDuration('2024-05-01T10:00:00Z', '2024-05-02T13:00:00Z')).toBe('1 d 3 h');
    expect(formatDuration('2024-05-01T10:00:00Z', 'not a time')).toBe('unknown');
  });
});

describe('toEventDetail', () => {
  const entrySize = (detailType: string, detail: unknown) =>
    utf8Length(GWM_EVENT_SOURCE) + utf8Length(detailType) + utf8Length(JSON.stringify(detail));

  it('maps each notice to its detail-type and a detail that validates against its schema', () => {
    const notices: Notice[] = [batchNotice(), launchFailed, rejected];
    expect(notices.map((notice) => toEventDetail(notice).detailType)).toEqual([
      'Batch Completed',
      'Launch Failed',
      'Manifest Rejected',
    ]);
    for (const notice of notices) {
      const { detailType, detail } = toEventDetail(notice);
      expect(detailType).toBe(DETAIL_TYPES[notice.kind]);
      expect(detail.detailVersion).toBe('1');
      const parsed = EVENT_DETAIL_SCHEMAS[detailType].safeParse(JSON.parse(JSON.stringify(detail)));
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    }
  });

  it('keeps every failure, its reason, log location and excerpt when they fit', () => {
    const { detail } = toEventDetail(batchNotice());
    const parsed = batchCompletedDetailV1.parse(detail);
    expect(parsed.failures.map((f) => f.sampleId)).toEqual(['S07', 'S19', 'S33']);
    expect(parsed.failures[0]).toMatchObject({
      status: 'FAILED',
      runId: '7007',
      logLocation: '/aws/omics/WorkflowLog:run/7007',
      logExcerpt: expect.stringContaining('ERROR: S07 failed'),
    });
    expect(parsed).toMatchObject({
      failuresOmitted: 0,
      logExcerptsOmitted: 0,
      durationSeconds: 8070,
      qc: { state: 'COMPLETED', outputUri: 's3://lab-results/HK3H3BBXY/qc/' },
      tableName: 'gwm-launches',
    });
  });

  it('stays under the EventBridge entry limit for 5,000 failures and says how many were left out', () => {
    const { detailType, detail } = toEventDetail(hugeBatch());
    expect(entrySize(detailType, detail)).toBeLessThan(EVENTBRIDGE_ENTRY_LIMIT);
    const parsed = batchCompletedDetailV1.parse(JSON.parse(JSON.stringify(detail)));
    expect(parsed.failures.length).toBeGreaterThan(0);
    expect(parsed.failures.length + parsed.failuresOmitted).toBe(5000);
    expect(parsed.failures[0]?.sampleId).toBe('S0000');
    expect(parsed.failures.every((f) => f.logExcerpt === undefined)).toBe(true);
    expect(parsed.logExcerptsOmitted).toBe(parsed.failures.length);
  });

  it('clips huge free text so no single field can exceed the limit', () => {
    const giant = 'é'.repeat(300_000);
    const notices: Notice[] = [
      batchNotice({
        batchName: giant,
        sourceUri: giant,
        failures: [failure('S1', { failureReason: giant, logExcerpt: giant, logLocation: giant })],
        qc: { state: 'FAILED', failureReason: giant, reason: giant, logLocation: giant },
      }),
      {
        ...launchFailed,
        batchName: giant,
        sample: failure('S1', { failureReason: giant, logExcerpt: giant }),
      },
      {
        ...rejected,
        batchName: giant,
        problemCount: 100_000,
        problems: Array.from({ length: 2000 }, (_, i) => ({
          path: `$.samples[${i}]`,
          code: 'SCHEMA' as const,
          message: `${i} ${'ü'.repeat(2000)}`,
        })),
      },
    ];
    for (const notice of notices) {
      const { detailType, detail } = toEventDetail(notice);
      expect(entrySize(detailType, detail)).toBeLessThan(EVENTBRIDGE_ENTRY_LIMIT);
      const parsed = EVENT_DETAIL_SCHEMAS[detailType].safeParse(JSON.parse(JSON.stringify(detail)));
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      expect(utf8Length(renderNotice(notice).text)).toBeLessThanOrEqual(250_000);
    }
    const sample = launchFailedDetailV1.parse(toEventDetail(notices[1] as Notice).detail).sample;
    expect(sample.logExcerptTruncated).toBe(true);
    expect(sample.logExcerpt?.endsWith('é')).toBe(true);
    const problems = manifestRejectedDetailV1.parse(toEventDetail(notices[2] as Notice).detail);
    expect(problems.problemCount).toBe(100_000);
    expect(problems.problems.length).toBeGreaterThan(0);
    expect(problems.problems.length + problems.problemsOmitted).toBe(100_000);
  });

  it('refuses a detail without its version', () => {
    const { detail } = toEventDetail(rejected);
    expect(manifestRejectedDetailV1.safeParse({ ...detail, detailVersion: undefined }).success).toBe(false);
  });
});
