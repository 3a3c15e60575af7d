import { z } from 'zod';
import {
  type BatchHeldDetailV1,
  type BatchHeldNotice,
  batchHeldDetail,
  batchHeldDetailV1,
  renderBatchHeld,
} from './cost/batch-held-notice.js';
import { RetryableError } from './errors.js';
import { LAUNCH_STATUSES, type LaunchStatus } from './launch.js';
import type { ManifestProblem } from './manifest/types.js';

export type BatchOutcome = 'COMPLETED' | 'COMPLETED_WITH_FAILURES' | 'FAILED';

export interface SampleOutcome {
  sampleId: string;
  launchId: string;
  status: LaunchStatus;
  attempt: number;
  runId?: string;
  failureReason?: string;
  logLocation?: string;
  /** The last lines of the run's log, newline-separated. */
  logExcerpt?: string;
  runOutputUri?: string;
}

export interface QcOutcome {
  state: 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'SKIPPED' | 'NONE';
  /** Why QC was skipped (or any other word on the state). */
  reason?: string;
  launchId?: string;
  runId?: string;
  outputUri?: string;
  failureReason?: string;
  logLocation?: string;
}

export interface BatchCompletedNotice {
  kind: 'batch-completed';
  batchId: string;
  batchName: string;
  sourceUri: string;
  /** 1 for the first completion; higher when retried samples finished the batch again. */
  round: number;
  outcome: BatchOutcome;
  counts: {
    total: number;
    succeeded: number;
    failed: number;
    cancelled: number;
    launchFailed: number;
    deleted: number;
  };
  startedAt: string;
  finishedAt: string;
  /** The samples that did not succeed (may be fewer than the counts say: the counts win). */
  failures: SampleOutcome[];
  qc: QcOutcome;
  tableName?: string;
}

export interface LaunchFailedNotice {
  kind: 'launch-failed';
  batchId: string;
  batchName: string;
  sample: SampleOutcome;
  tableName?: string;
}

export interface ManifestRejectedNotice {
  kind: 'manifest-rejected';
  batchId: string;
  batchName: string;
  sourceUri: string;
  /** Every problem found; `problems` may hold fewer (a rejected batch keeps a bounded list). */
  problemCount: number;
  problems: ManifestProblem[];
}

export type Notice = BatchCompletedNotice | LaunchFailedNotice | ManifestRejectedNotice | BatchHeldNotice;

export interface Notifier {
  send(notice: Notice): Promise<void>;
}

/** A notification channel refused or failed to take a notice; sending it again may work. */
export class NotificationDeliveryError extends RetryableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NOTIFICATION_NOT_DELIVERED', message, options);
    this.name = 'NotificationDeliveryError';
  }
}

// ---------------------------------------------------------------------------------------------
// EventBridge events

export const GWM_EVENT_SOURCE = 'gwm';

export const DETAIL_TYPES = {
  'batch-completed': 'Batch Completed',
  'launch-failed': 'Launch Failed',
  'manifest-rejected': 'Manifest Rejected',
  'batch-held': 'Batch Held',
} as const satisfies Record<Notice['kind'], string>;
export type DetailType = (typeof DETAIL_TYPES)[Notice['kind']];

/**
 * PutEvents refuses entries over 256 KB (262,144 bytes, counting source, detail-type, detail and
 * resources). The detail is kept under this, which leaves room for the rest of the entry.
 */
export const MAX_EVENT_DETAIL_BYTES = 250_000;

// Bounds on every free-text field, so that what cannot be cut by dropping list items (the batch
// name, a reason) can never push an event over the limit on its own.
const MAX_ID_CHARS = 512;
const MAX_TEXT_CHARS = 2048;
const MAX_EXCERPT_CHARS = 4096;
const EXCERPT_LINES_IN_DETAIL = 20;

const id = z.string().max(MAX_ID_CHARS);
const text = z.string().max(MAX_TEXT_CHARS);
const count = z.number().int().nonnegative();

export const sampleOutcomeDetailV1 = z.object({
  sampleId: id,
  launchId: id,
  status: z.enum(LAUNCH_STATUSES),
  attempt: count,
  runId: id.optional(),
  failureReason: text.optional(),
  logLocation: text.optional(),
  /** The end of the run's log; `logExcerptTruncated` when earlier lines were left out. */
  logExcerpt: z.string().max(MAX_EXCERPT_CHARS).optional(),
  logExcerptTruncated: z.boolean().optional(),
  runOutputUri: text.optional(),
});

export const qcOutcomeDetailV1 = z.object({
  state: z.enum(['COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED', 'NONE']),
  reason: text.optional(),
  launchId: id.optional(),
  runId: id.optional(),
  outputUri: text.optional(),
  failureReason: text.optional(),
  logLocation: text.optional(),
});

export const batchCompletedDetailV1 = z.object({
  detailVersion: z.literal('1'),
  batchId: id,
  batchName: text,
  sourceUri: text,
  round: count,
  outcome: z.enum(['COMPLETED', 'COMPLETED_WITH_FAILURES', 'FAILED']),
  counts: z.object({
    total: count,
    succeeded: count,
    failed: count,
    cancelled: count,
    launchFailed: count,
    deleted: count,
  }),
  startedAt: text,
  finishedAt: text,
  durationSeconds: count.optional(),
  failures: z.array(sampleOutcomeDetailV1),
  /** Samples that did not succeed and are not in `failures` (to stay under the size limit). */
  failuresOmitted: count,
  /** Listed failures whose `logExcerpt` was left out (to stay under the size limit). */
  logExcerptsOmitted: count,
  qc: qcOutcomeDetailV1,
  tableName: text.optional(),
});

export const launchFailedDetailV1 = z.object({
  detailVersion: z.literal('1'),
  batchId: id,
  batchName: text,
  sample: sampleOutcomeDetailV1,
  tableName: text.optional(),
});

export const manifestProblemDetailV1 = z.object({
  path: text,
  code: z.string().max(64),
  message: text,
});

export const manifestRejectedDetailV1 = z.object({
  detailVersion: z.literal('1'),
  batchId: id,
  batchName: text,
  sourceUri: text,
  problemCount: count,
  problems: z.array(manifestProblemDetailV1),
  /** Problems counted in `problemCount` and not in `problems`. */
  problemsOmitted: count,
});

export type SampleOutcomeDetailV1 = z.infer<typeof sampleOutcomeDetailV1>;
export type BatchCompletedDetailV1 = z.infer<typeof batchCompletedDetailV1>;
export type LaunchFailedDetailV1 = z.infer<typeof launchFailedDetailV1>;
export type ManifestRejectedDetailV1 = z.infer<typeof manifestRejectedDetailV1>;

/** The schema of each event's detail, by detail-type: for consumers and tests. */
export const EVENT_DETAIL_SCHEMAS = {
  'Batch Completed': batchCompletedDetailV1,
  'Launch Failed': launchFailedDetailV1,
  'Manifest Rejected': manifestRejectedDetailV1,
  'Batch Held': batchHeldDetailV1,
} as const satisfies Record<DetailType, z.ZodType>;

export type EventDetail =
  | { detailType: 'Batch Completed'; detail: BatchCompletedDetailV1 }
  | { detailType: 'Launch Failed'; detail: LaunchFailedDetailV1 }
  | { detailType: 'Manifest Rejected'; detail: ManifestRejectedDetailV1 }
  | { detailType: 'Batch Held'; detail: BatchHeldDetailV1 };

/**
 * The EventBridge detail of a notice. Its JSON stays under `maxBytes` (UTF-8): free text is
 * clipped, then log excerpts are left out from the last failure backwards, then failures (or
 * problems) from the end; the detail says how many were left out.
 */
export function toEventDetail(notice: Notice, options: { maxBytes?: number } = {}): EventDetail {
  const maxBytes = options.maxBytes ?? MAX_EVENT_DETAIL_BYTES;
  switch (notice.kind) {
    case 'batch-completed':
      return { detailType: DETAIL_TYPES[notice.kind], detail: batchCompletedDetail(notice, maxBytes) };
    case 'launch-failed':
      return {
        detailType: DETAIL_TYPES[notice.kind],
        detail: {
          detailVersion: '1',
          batchId: clip(notice.batchId, MAX_ID_CHARS),
          batchName: clip(notice.batchName, MAX_TEXT_CHARS),
          sample: sampleDetail(notice.sample, true),
          ...optionalText('tableName', notice.tableName),
        },
      };
    case 'manifest-rejected':
      return { detailType: DETAIL_TYPES[notice.kind], detail: manifestRejectedDetail(notice, maxBytes) };
    case 'batch-held':
      return { detailType: DETAIL_TYPES[notice.kind], detail: batchHeldDetail(notice) };
  }
}

function batchCompletedDetail(notice: BatchCompletedNotice, maxBytes: number): BatchCompletedDetailV1 {
  const failureCount = Math.max(notSucceeded(notice.counts), notice.failures.length);
  const durationMs = Date.parse(notice.finishedAt) - Date.parse(notice.startedAt);
  const items = notice.failures.map((failure) => {
    const full = sampleDetail(failure, true);
    const lean = sampleDetail(failure, false);
    // +1: the comma that separates array items.
    return { full, lean, fullBytes: jsonBytes(full) + 1, leanBytes: jsonBytes(lean) + 1 };
  });
  const base: BatchCompletedDetailV1 = {
    detailVersion: '1',
    batchId: clip(notice.batchId, MAX_ID_CHARS),
    batchName: clip(notice.batchName, MAX_TEXT_CHARS),
    sourceUri: clip(notice.sourceUri, MAX_TEXT_CHARS),
    round: nonNegativeInt(notice.round),
    outcome: notice.outcome,
    counts: {
      total: nonNegativeInt(notice.counts.total),
      succeeded: nonNegativeInt(notice.counts.succeeded),
      failed: nonNegativeInt(notice.counts.failed),
      cancelled: nonNegativeInt(notice.counts.cancelled),
      launchFailed: nonNegativeInt(notice.counts.launchFailed),
      deleted: nonNegativeInt(notice.counts.deleted),
    },
    startedAt: clip(notice.startedAt, MAX_TEXT_CHARS),
    finishedAt: clip(notice.finishedAt, MAX_TEXT_CHARS),
    ...(Number.isFinite(durationMs) && durationMs >= 0
      ? { durationSeconds: Math.round(durationMs / 1000) }
      : {}),
    failures: [],
    // Sized with the largest values these counters can take, so the real ones never add bytes.
    failuresOmitted: failureCount,
    logExcerptsOmitted: notice.failures.length,
    qc: qcDetail(notice.qc),
    ...optionalText('tableName', notice.tableName),
  };
  const fit = fitPrefix(
    items.map((item) => ({ full: item.fullBytes, lean: item.leanBytes })),
    maxBytes - jsonBytes(base),
  );
  const failures = items.slice(0, fit.kept).map((item, index) => (index < fit.full ? item.full : item.lean));
  const logExcerptsOmitted = failures.filter(
    (_, index) => index >= fit.full && notice.failures[index]?.logExcerpt,
  ).length;
  return { ...base, failures, failuresOmitted: failureCount - fit.kept, logExcerptsOmitted };
}

function manifestRejectedDetail(notice: ManifestRejectedNotice, maxBytes: number): ManifestRejectedDetailV1 {
  const problemCount = Math.max(nonNegativeInt(notice.problemCount), notice.problems.length);
  const items = notice.problems.map((problem) => {
    const detail = {
      path: clip(problem.path, MAX_TEXT_CHARS),
      code: clip(problem.code, 64),
      message: clip(problem.message, MAX_TEXT_CHARS),
    };
    return { detail, bytes: jsonBytes(detail) + 1 };
  });
  const base: ManifestRejectedDetailV1 = {
    detailVersion: '1',
    batchId: clip(notice.batchId, MAX_ID_CHARS),
    batchName: clip(notice.batchName, MAX_TEXT_CHARS),
    sourceUri: clip(notice.sourceUri, MAX_TEXT_CHARS),
    problemCount,
    problems: [],
    problemsOmitted: problemCount,
  };
  const fit = fitPrefix(
    items.map((item) => ({ full: item.bytes, lean: item.bytes })),
    maxBytes - jsonBytes(base),
  );
  return {
    ...base,
    problems: items.slice(0, fit.kept).map((item) => item.detail),
    problemsOmitted: problemCount - fit.kept,
  };
}

function sampleDetail(sample: SampleOutcome, withExcerpt: boolean): SampleOutcomeDetailV1 {
  const detail: SampleOutcomeDetailV1 = {
    sampleId: clip(sample.sampleId, MAX_ID_CHARS),
    launchId: clip(sample.launchId, MAX_ID_CHARS),
    status: sample.status,
    attempt: nonNegativeInt(sample.attempt),
    ...optionalId('runId', sample.runId),
    ...optionalText('failureReason', sample.failureReason),
    ...optionalText('logLocation', sample.logLocation),
    ...optionalText('runOutputUri', sample.runOutputUri),
  };
  if (withExcerpt && sample.logExcerpt) {
    const lines = sample.logExcerpt.split('\n');
    const tail = lines.slice(-EXCERPT_LINES_IN_DETAIL).join('\n');
    const excerpt = clipStart(tail, MAX_EXCERPT_CHARS);
    detail.logExcerpt = excerpt;
    if (lines.length > EXCERPT_LINES_IN_DETAIL || excerpt !== tail) detail.logExcerptTruncated = true;
  }
  return detail;
}

function qcDetail(qc: QcOutcome): z.infer<typeof qcOutcomeDetailV1> {
  return {
    state: qc.state,
    ...optionalText('reason', qc.reason),
    ...optionalId('launchId', qc.launchId),
    ...optionalId('runId', qc.runId),
    ...optionalText('outputUri', qc.outputUri),
    ...optionalText('failureReason', qc.failureReason),
    ...optionalText('logLocation', qc.logLocation),
  };
}

function optionalText<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return value === undefined ? {} : ({ [key]: clip(value, MAX_TEXT_CHARS) } as { [P in K]?: string });
}

function optionalId<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return value === undefined ? {} : ({ [key]: clip(value, MAX_ID_CHARS) } as { [P in K]?: string });
}

// ---------------------------------------------------------------------------------------------
// Plain-text messages (SNS, e-mail)

/**
 * SNS refuses messages over 256 KB (262,144 bytes); the default stays under it with room for the
 * message attributes.
 */
export const MAX_MESSAGE_BYTES = 250_000;
/** SNS: a subject is printable ASCII, one line, and less than 100 characters. */
export const MAX_SUBJECT_CHARS = 99;
const LOG_LINES_IN_TEXT = 10;
const LOG_LINE_CHARS = 300;
const TEXT_FIELD_CHARS = 2000;

export interface RenderedNotice {
  subject: string;
  text: string;
}

export interface RenderOptions {
  /** Largest UTF-8 size of `text`; default {@link MAX_MESSAGE_BYTES}. */
  maxBytes?: number;
}

/**
 * A readable message for people. When the full text would be too large, log lines are left
 * out first (from the last listed sample backwards), then samples or problems from the end, and
 * the message says how many were not listed.
 */
export function renderNotice(notice: Notice, options: RenderOptions = {}): RenderedNotice {
  const maxBytes = options.maxBytes ?? MAX_MESSAGE_BYTES;
  switch (notice.kind) {
    case 'batch-completed':
      return renderBatchCompleted(notice, maxBytes);
    case 'launch-failed':
      return renderLaunchFailed(notice, maxBytes);
    case 'manifest-rejected':
      return renderManifestRejected(notice, maxBytes);
    case 'batch-held':
      return renderBatchHeld(notice);
  }
}

function renderBatchCompleted(notice: BatchCompletedNotice, maxBytes: number): RenderedNotice {
  const { counts } = notice;
  const failureCount = Math.max(notSucceeded(counts), notice.failures.length);
  const qcTrouble = notice.qc.state === 'FAILED' || notice.qc.state === 'CANCELLED';

  const verb = notice.outcome === 'FAILED' ? 'failed' : 'completed';
  const failureWords = failureCount > 0 ? ` with ${plural(failureCount, 'failure')}` : '';
  const qcWords = qcTrouble ? `, QC ${notice.qc.state.toLowerCase()}` : '';
  const roundWords = notice.round > 1 ? `, round ${notice.round}` : '';
  const subject = makeSubject(
    notice.batchName,
    `${verb}${failureWords}${qcWords} (${counts.succeeded}/${counts.total} succeeded${roundWords})`,
  );

  const others = [
    counts.failed > 0 ? `${counts.failed} failed` : '',
    counts.cancelled > 0 ? `${counts.cancelled} cancelled` : '',
    counts.launchFailed > 0 ? `${counts.launchFailed} could not be started` : '',
    counts.deleted > 0 ? `${counts.deleted} deleted` : '',
  ].filter((part) => part !== '');
  const head = [
    `Batch ${field(notice.batchName)} ${verb}: ${counts.succeeded} of ${plural(counts.total, 'sample')} succeeded.`,
    '',
    `Batch:     ${field(notice.batchName)} (id ${notice.batchId})`,
    `Source:    ${field(notice.sourceUri)}`,
    `Outcome:   ${notice.outcome}${notice.round > 1 ? ` (round ${notice.round}, after retries)` : ''}`,
    `Samples:   ${counts.total} total, ${counts.succeeded} succeeded${others.map((part) => `, ${part}`).join('')}`,
    `Duration:  ${formatDuration(notice.startedAt, notice.finishedAt)} (${notice.startedAt} to ${notice.finishedAt})`,
  ];
  if (failureCount > 0) head.push('', `Samples that did not succeed (${failureCount}):`);

  const tail = ['', ...qcLines(notice.qc)];
  if (failureCount > 0 || qcTrouble) {
    tail.push('', 'How to retry:', `  ${retryHint(notice.tableName, notice.batchId)}`);
    if (qcTrouble && notice.qc.launchId) tail.push(`  (the QC run is launch ${notice.qc.launchId})`);
  }

  const compose = (blocks: string[], omitted: number, logsLeftOut: number): string => {
    const notes: string[] = [];
    if (logsLeftOut > 0) {
      notes.push(`  (log lines of ${plural(logsLeftOut, 'sample')} left out to keep this message short)`);
    }
    if (omitted > 0) {
      const lead = blocks.length > 0 ? `… and ${omitted} more` : `${omitted}`;
      notes.push(
        `  ${lead} failed ${omitted === 1 ? 'sample' : 'samples'} not listed (see gwm history --batch ${notice.batchId})`,
      );
    }
    return `${head.join('\n')}\n${blocks.map((block) => `${block}\n`).join('')}${[...notes, ...tail].join('\n')}\n`;
  };

  const blocks = notice.failures.map((failure) => ({
    full: failureBlock(failure, true),
    lean: failureBlock(failure, false),
  }));
  const fit = fitWithNotes(
    blocks.map((block) => ({ full: utf8Length(block.full) + 1, lean: utf8Length(block.lean) + 1 })),
    maxBytes,
    failureCount,
    (omitted, logsLeftOut) => utf8Length(compose([''], omitted, logsLeftOut)) - 1,
  );
  const kept = blocks.slice(0, fit.kept).map((block, index) => (index < fit.full ? block.full : block.lean));
  const logsLeftOut = kept.filter(
    (_, index) => index >= fit.full && notice.failures[index]?.logExcerpt,
  ).length;
  return { subject, text: clipUtf8(compose(kept, failureCount - fit.kept, logsLeftOut), maxBytes) };
}

function failureBlock(sample: SampleOutcome, withLog: boolean): string {
  const facts = [sample.status, `attempt ${sample.attempt}`];
  if (sample.runId) facts.push(`run ${sample.runId}`);
  const lines = [`  - ${field(sample.sampleId)}: ${facts.join(', ')} (launch ${sample.launchId})`];
  if (sample.failureReason) lines.push(`      reason: ${field(sample.failureReason)}`);
  if (sample.logLocation) lines.push(`      logs:   ${field(sample.logLocation)}`);
  const logLines = (sample.logExcerpt ?? '').split('\n').filter((line) => line.trim() !== '');
  if (withLog && logLines.length > 0) {
    lines.push('      last log lines:');
    for (const line of logLines.slice(-LOG_LINES_IN_TEXT)) {
      lines.push(`        ${clip(oneLine(line), LOG_LINE_CHARS)}`);
    }
  }
  return lines.join('\n');
}

function qcLines(qc: QcOutcome): string[] {
  const run = [qc.runId ? `run ${qc.runId}` : '', qc.launchId ? `launch ${qc.launchId}` : '']
    .filter((part) => part !== '')
    .join(', ');
  const runWords = run ? ` (${run})` : '';
  switch (qc.state) {
    case 'COMPLETED':
      return [
        `QC:        completed${runWords}`,
        `           output: ${qc.outputUri ? field(qc.outputUri) : 'not reported'}`,
      ];
    case 'FAILED':
    case 'CANCELLED': {
      const lines = [`QC:        ${qc.state}${runWords}`];
      const reason = qc.failureReason ?? qc.reason;
      if (reason) lines.push(`           reason: ${field(reason)}`);
      if (qc.logLocation) lines.push(`           logs:   ${field(qc.logLocation)}`);
      return lines;
    }
    case 'SKIPPED':
      return [`QC:        skipped: ${qc.reason ? field(qc.reason) : 'no reason given'}`];
    case 'NONE':
      return ['QC:        none (this manifest has no QC step)'];
  }
}

function retryHint(tableName: string | undefined, batchId: string): string {
  const table = tableName ? `table ${tableName}` : 'the gwm table';
  return `set \`status\` to \`RETRY\` on the launch item in the DynamoDB console (${table}), or \`gwm retry --batch ${batchId} --failed\``;
}

function renderLaunchFailed(notice: LaunchFailedNotice, maxBytes: number): RenderedNotice {
  const { sample } = notice;
  const what = sampleFate(sample.status);
  const subject = makeSubject(
    notice.batchName,
    `sample ${sample.sampleId} ${what} (attempt ${sample.attempt})`,
  );
  const table = notice.tableName ? `table ${notice.tableName}` : 'the gwm table';
  const lines = [
    `Sample ${field(sample.sampleId)} of batch ${field(notice.batchName)} ${what}.`,
    '',
    `Batch:     ${field(notice.batchName)} (id ${notice.batchId})`,
    `Sample:    ${field(sample.sampleId)} (launch ${sample.launchId})`,
    `Status:    ${sample.status}, attempt ${sample.attempt}`,
  ];
  if (sample.runId) lines.push(`Run:       ${sample.runId}`);
  if (sample.failureReason) {
    lines.push(`Reason:    ${field(sample.failureReason)}`);
  }
  if (sample.logLocation) lines.push(`Logs:      ${field(sample.logLocation)}`);
  const logLines = (sample.logExcerpt ?? '').split('\n').filter((line) => line.trim() !== '');
  if (logLines.length > 0) {
    lines.push('Last log lines:');
    for (const line of logLines.slice(-LOG_LINES_IN_TEXT)) {
      lines.push(`    ${clip(oneLine(line), LOG_LINE_CHARS)}`);
    }
  }
  lines.push(
    '',
    'How to retry:',
    `  set \`status\` to \`RETRY\` on launch ${sample.launchId} in the DynamoDB console (${table}), or \`gwm retry --batch ${notice.batchId} --sample ${sample.sampleId}\``,
  );
  return { subject, text: clipUtf8(`${lines.join('\n')}\n`, maxBytes) };
}

function sampleFate(status: LaunchStatus): string {
  switch (status) {
    case 'LAUNCH_FAILED':
      return 'could not be started';
    case 'FAILED':
      return 'failed';
    case 'CANCELLED':
    case 'DELETED':
      return `was ${status.toLowerCase()}`;
    default:
      return `is ${status}`;
  }
}

function renderManifestRejected(notice: ManifestRejectedNotice, maxBytes: number): RenderedNotice {
  const problemCount = Math.max(notice.problemCount, notice.problems.length);
  const subject = makeSubject(notice.batchName, `manifest rejected (${plural(problemCount, 'problem')})`);
  const head = [
    `Manifest ${field(notice.batchName)} was rejected: ${plural(problemCount, 'problem')}. Nothing was launched.`,
    '',
    `Batch:     ${field(notice.batchName)} (id ${notice.batchId})`,
    `Source:    ${field(notice.sourceUri)}`,
    '',
    'Problems (path  code  message):',
  ];
  const tail = [
    '',
    'Fix the manifest and upload it again: changed content is a new batch. If the fix was in the',
    'deployment (a missing profile added, a prefix allowed), upload the same file again to the same',
    'key: it is checked again and registered as this batch once it is valid.',
  ];
  const pathWidth = Math.min(40, Math.max(0, ...notice.problems.map((problem) => problem.path.length)));
  const codeWidth = Math.max(0, ...notice.problems.map((problem) => problem.code.length));
  const lines = notice.problems.map(
    (problem) =>
      `  ${field(problem.path).padEnd(pathWidth)}  ${problem.code.padEnd(codeWidth)}  ${field(problem.message)}`,
  );
  const compose = (kept: string[], omitted: number): string => {
    const notes =
      omitted > 0
        ? [
            `  ${kept.length > 0 ? `… and ${omitted} more` : `${omitted}`} ${omitted === 1 ? 'problem' : 'problems'} not listed`,
          ]
        : [];
    return `${head.join('\n')}\n${kept.map((line) => `${line}\n`).join('')}${[...notes, ...tail].join('\n')}\n`;
  };
  const fit = fitWithNotes(
    lines.map((line) => ({ full: utf8Length(line) + 1, lean: utf8Length(line) + 1 })),
    maxBytes,
    problemCount,
    (omitted) => utf8Length(compose([''], omitted)) - 1,
  );
  return { subject, text: clipUtf8(compose(lines.slice(0, fit.kept), problemCount - fit.kept), maxBytes) };
}

/** `gwm: <name> <rest>`, the name shortened so the whole stays a valid SNS subject. */
function makeSubject(batchName: string, rest: string): string {
  const safeRest = toAsciiLine(rest);
  const prefix = 'gwm: ';
  const room = MAX_SUBJECT_CHARS - prefix.length - 1 - safeRest.length;
  let name = toAsciiLine(batchName);
  if (name.length > room) name = room > 3 ? `${name.slice(0, room - 3)}...` : '';
  return `${prefix}${name ? `${name} ` : ''}${safeRest}`.slice(0, MAX_SUBJECT_CHARS);
}

/** Printable ASCII on one line: accents dropped where possible, anything else becomes `?`. */
function toAsciiLine(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/\s+/gu, ' ')
    .replace(/[^ -~]/g, '?')
    .trim();
}

/** A free-text field on one line, bounded so no single value crowds out the rest of the message. */
function field(value: string): string {
  return clip(oneLine(value), TEXT_FIELD_CHARS);
}

/** One line of text without control characters (terminal colour codes included). */
function oneLine(value: string): string {
  return value
    .replace(/\p{Cc}\[[0-9;?]*[ -/]*[@-~]/gu, '')
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/\p{Cc}/gu, '')
    .trimEnd();
}

/** `2 h 14 min`, `3 min 20 s`, `45 s`, `1 d 3 h`; `unknown` when the times do not make sense. */
export function formatDuration(startedAt: string, finishedAt: string): string {
  const ms = Date.parse(finishedAt) - Date.parse(startedAt);
  if (!Number.isFinite(ms) || ms < 0) return 'unknown';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 > 0 ? `${minutes} min ${seconds % 60} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 > 0 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 > 0 ? `${days} d ${hours % 24} h` : `${days} d`;
}

// ---------------------------------------------------------------------------------------------
// Sizing

/**
 * How many items of a list fit in `budget` bytes, each item in a full or a lean form (lean: its
 * log left out). Logs go first, from the last item backwards; then items from the end.
 * Returns the number of items kept and how many of them (a prefix) keep their full form.
 */
export function fitPrefix(
  items: readonly { full: number; lean: number }[],
  budget: number,
): { kept: number; full: number } {
  const leanTotal = items.reduce((sum, item) => sum + item.lean, 0);
  if (leanTotal <= budget) {
    let used = leanTotal;
    let full = 0;
    for (const item of items) {
      if (used + item.full - item.lean > budget) break;
      used += item.full - item.lean;
      full += 1;
    }
    return { kept: items.length, full };
  }
  let used = 0;
  let kept = 0;
  for (const item of items) {
    if (used + item.lean > budget) break;
    used += item.lean;
    kept += 1;
  }
  return { kept, full: 0 };
}

/**
 * `fitPrefix` for a message that ends with notes on what was left out. The notes take room too,
 * so each try reserves the notes it may need, sized with the largest numbers they could show (and
 * the `… and N more` wording: `overhead` is measured with one empty item, whose newline it
 * subtracts): first none, then the log note, then both. `total` may exceed the list's length
 * (items the caller did not hold are always reported as left out).
 */
function fitWithNotes(
  items: readonly { full: number; lean: number }[],
  maxBytes: number,
  total: number,
  overhead: (omitted: number, logsLeftOut: number) => number,
): { kept: number; full: number } {
  const n = items.length;
  const unheld = Math.max(0, total - n);
  const everything = fitPrefix(items, maxBytes - overhead(unheld, 0));
  if (everything.kept === n && everything.full === n) return everything;
  const everySample = fitPrefix(items, maxBytes - overhead(unheld, n));
  if (everySample.kept === n) return everySample;
  return fitPrefix(items, maxBytes - overhead(Math.max(total, n), n));
}

function notSucceeded(counts: BatchCompletedNotice['counts']): number {
  return counts.failed + counts.cancelled + counts.launchFailed + counts.deleted;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function nonNegativeInt(n: number): number {
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

function jsonBytes(value: unknown): number {
  return utf8Length(JSON.stringify(value));
}

/** UTF-8 size of a string without encoding it (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8Length(value: string): number {
  let bytes = 0;
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(value.charCodeAt(i + 1))) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** The first `max` characters, marked with `…` when cut; never splits a surrogate pair. */
function clip(value: string, max: number): string {
  if (value.length <= max) return value;
  let end = max - 1;
  if (isLowSurrogate(value.charCodeAt(end))) end -= 1;
  return `${value.slice(0, end)}…`;
}

/** The last `max` characters, marked with `…` when cut (a log's end matters more than its start). */
function clipStart(value: string, max: number): string {
  if (value.length <= max) return value;
  let start = value.length - (max - 1);
  if (isLowSurrogate(value.charCodeAt(start))) start += 1;
  return `…${value.slice(start)}`;
}

/** A last resort for text whose fixed parts alone are too large: cut at a character boundary. */
function clipUtf8(value: string, maxBytes: number): string {
  if (utf8Length(value) <= maxBytes) return value;
  const marker = '\n… (message cut to stay under the size limit)\n';
  const budget = maxBytes - utf8Length(marker);
  let bytes = 0;
  let end = 0;
  while (end < value.length) {
    const code = value.charCodeAt(end);
    const pair = code >= 0xd800 && code <= 0xdbff && isLowSurrogate(value.charCodeAt(end + 1));
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes + size > budget) break;
    bytes += size;
    end += pair ? 2 : 1;
  }
  return budget > 0 ? `${value.slice(0, end)}${marker}` : '';
}
