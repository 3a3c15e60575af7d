import * as z from 'zod';
import type { LaunchStatus } from '../launch.js';
import { clip, clipUtf8 } from '../text.js';
import {
  id,
  MAX_ID_CHARS,
  MAX_TEXT_CHARS,
  optionalText,
  sampleDetail,
  sampleOutcomeDetailV1,
  text,
} from './detail-fields.js';
import type { LaunchFailedNotice, RenderedNotice } from './notice.js';
import { field, LOG_LINE_CHARS, LOG_LINES_IN_TEXT, makeSubject, oneLine } from './text.js';

// One sample failed (or could not be started).

export const launchFailedDetailV1 = z.object({
  detailVersion: z.literal('1'),
  batchId: id,
  batchName: text,
  sample: sampleOutcomeDetailV1,
  tableName: text.optional(),
});

export type LaunchFailedDetailV1 = z.infer<typeof launchFailedDetailV1>;

export function launchFailedDetail(notice: LaunchFailedNotice): LaunchFailedDetailV1 {
  return {
    detailVersion: '1',
    batchId: clip(notice.batchId, MAX_ID_CHARS),
    batchName: clip(notice.batchName, MAX_TEXT_CHARS),
    sample: sampleDetail(notice.sample, true),
    ...optionalText('tableName', notice.tableName),
  };
}

export function renderLaunchFailed(notice: LaunchFailedNotice, maxBytes: number): RenderedNotice {
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
