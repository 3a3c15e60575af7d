import * as z from 'zod';
import { clip, clipUtf8, utf8Length } from '../text.js';
import { batchCostDetail, batchCostDetailV1, costLines } from './batch-cost.js';
import {
  count,
  id,
  MAX_ID_CHARS,
  MAX_TEXT_CHARS,
  optionalId,
  optionalText,
  sampleDetail,
  sampleOutcomeDetailV1,
  text,
} from './detail-fields.js';
import { fitPrefix, fitWithNotes } from './fit.js';
import {
  type BatchCompletedNotice,
  type QcOutcome,
  type RenderedNotice,
  type SampleOutcome,
  WAITED_LISTED,
  type WaitedForInputs,
} from './notice.js';
import {
  field,
  formatDuration,
  formatElapsed,
  jsonBytes,
  LOG_LINE_CHARS,
  LOG_LINES_IN_TEXT,
  makeSubject,
  nonNegativeInt,
  oneLine,
  plural,
} from './text.js';

// A batch has finished: its outcome, its cost, the samples that did not succeed, QC.

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
  /** What the batch's runs cost, as far as they were priced when it was sent (added in 1, optional). */
  cost: batchCostDetailV1.optional(),
  /** Samples that waited for archived inputs to be restored, the longest waits listed (added in 1, optional). */
  waitedForInputs: z
    .object({
      count,
      samples: z.array(z.object({ sampleId: text, launchId: text, waitedSeconds: count })),
    })
    .optional(),
});

export type BatchCompletedDetailV1 = z.infer<typeof batchCompletedDetailV1>;

export function batchCompletedDetail(notice: BatchCompletedNotice, maxBytes: number): BatchCompletedDetailV1 {
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
    ...(notice.cost && { cost: batchCostDetail(notice.cost) }),
    ...(notice.waitedForInputs && {
      waitedForInputs: {
        count: nonNegativeInt(notice.waitedForInputs.count),
        samples: notice.waitedForInputs.samples.slice(0, WAITED_LISTED).map((sample) => ({
          sampleId: clip(sample.sampleId, MAX_ID_CHARS),
          launchId: clip(sample.launchId, MAX_TEXT_CHARS),
          waitedSeconds: nonNegativeInt(Math.round(sample.waitedMs / 1000)),
        })),
      },
    }),
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

export function renderBatchCompleted(notice: BatchCompletedNotice, maxBytes: number): RenderedNotice {
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
    ...(notice.cost ? costLines(notice.cost, notice.batchId) : []),
    ...(notice.waitedForInputs ? waitedLines(notice.waitedForInputs) : []),
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

function notSucceeded(counts: BatchCompletedNotice['counts']): number {
  return counts.failed + counts.cancelled + counts.launchFailed + counts.deleted;
}

/** Which samples waited for archived inputs, and how long (the longest waits). */
function waitedLines(waited: WaitedForInputs): string[] {
  const listed = waited.samples
    .slice(0, WAITED_LISTED)
    .map((sample) => `${field(sample.sampleId)} ${formatElapsed(sample.waitedMs)}`);
  const more = waited.count - listed.length;
  return [
    `Archived:  ${plural(waited.count, 'sample')} waited for inputs to be restored from an S3 archive: ${listed.join(', ')}${more > 0 ? `, and ${more} more` : ''}`,
  ];
}
