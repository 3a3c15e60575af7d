import * as z from 'zod';
import { clip, clipUtf8, utf8Length } from '../text.js';
import { count, id, MAX_ID_CHARS, MAX_TEXT_CHARS, text } from './detail-fields.js';
import { fitPrefix, fitWithNotes } from './fit.js';
import type { ManifestRejectedNotice, RenderedNotice } from './notice.js';
import { field, jsonBytes, makeSubject, nonNegativeInt, plural } from './text.js';

// A manifest was rejected: every problem, at its path.

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

export type ManifestRejectedDetailV1 = z.infer<typeof manifestRejectedDetailV1>;

export function manifestRejectedDetail(
  notice: ManifestRejectedNotice,
  maxBytes: number,
): ManifestRejectedDetailV1 {
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

export function renderManifestRejected(notice: ManifestRejectedNotice, maxBytes: number): RenderedNotice {
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
