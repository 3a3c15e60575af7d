import Table from 'cli-table3';
import type { BatchStatus } from '../domain/batch.js';
import { clip } from '../domain/text.js';
import { usageError } from './exit-codes.js';
import type { Colors } from './io.js';

/** `2026-11-20T10:00:03Z`: UTC to the second, and accepted back by --since/--until. */
export function formatTime(iso: string | undefined): string {
  if (iso === undefined || iso === '') return '';
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : `${new Date(time).toISOString().slice(0, 19)}Z`;
}

/**
 * How long a run took, from gwm's submission stamp (milliseconds) to the engine's finish event.
 * Run Status Change events carry their time to the whole second, so the run really finished
 * somewhere in [finishedAt, finishedAt + 1 s): such a span is shown in whole seconds, rounded
 * from the middle of that window, and never below "<1 s".
 */
export function formatRunTime(submittedAt: string | undefined, finishedAt: string | undefined): string {
  if (!submittedAt || !finishedAt) return '';
  const start = Date.parse(submittedAt);
  const end = Date.parse(finishedAt);
  if (Number.isNaN(start) || Number.isNaN(end)) return '';
  const wholeSecond = !/\.\d+/.test(finishedAt);
  const ms = wholeSecond ? end + 500 - start : end - start;
  if (ms < 1000) return '<1 s';
  const total = Math.round(ms / 1000);
  if (!wholeSecond && ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (total < 60) return `${total} s`;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(sec).padStart(2, '0')} s`;
}

/**
 * A run's tasks as its cost records them: `12 tasks, 9 from the run cache`, `3 tasks`; empty while
 * they are not counted (the run is not priced yet).
 */
export function tasksText(taskCount: number | undefined, cachedTaskCount: number | undefined): string {
  if (taskCount === undefined) return '';
  const tasks = `${taskCount} task${taskCount === 1 ? '' : 's'}`;
  return cachedTaskCount ? `${tasks}, ${cachedTaskCount} from the run cache` : tasks;
}

/** A table cell: the text on one line (runs of white space as one space), clipped to `max` characters. */
export function truncate(text: string | undefined, max: number): string {
  if (text === undefined) return '';
  return clip(text.replace(/\s+/g, ' ').trim(), max);
}

/** What a spreadsheet reads as the start of a formula (OWASP's CSV injection list). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A field of RFC 4180 CSV: quoted when it holds a comma, a quote, a line break or edge spaces.
 * Text that a spreadsheet would run as a formula (a batch name, a failure reason from the engine)
 * gets a leading `'` and quotes, as OWASP recommends. Numbers are gwm's own counts and attempts,
 * so a negative one is written as it is; text that merely looks like a number is text.
 */
export function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const raw = typeof value === 'string' ? value : JSON.stringify(value);
  const text = FORMULA_START.test(raw) ? `'${raw}` : raw;
  return text !== raw || /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

export function makeTable(head: string[], colors: Colors): Table.Table {
  return new Table({
    head: head.map((title) => colors.bold(title)),
    style: { head: [], border: [], compact: true },
    wordWrap: false,
  });
}

const FAILED_STATUSES = new Set(['FAILED', 'LAUNCH_FAILED', 'CANCELLED', 'DELETED', 'REJECTED']);

export function colorStatus(status: string, colors: Colors): string {
  if (status === 'COMPLETED' || status === 'SENT') return colors.green(status);
  if (FAILED_STATUSES.has(status)) return colors.red(status);
  if (
    status === 'COMPLETED_WITH_FAILURES' ||
    status === 'RETRY' ||
    status === 'THROTTLED' ||
    status === 'HELD_OVER_BUDGET'
  ) {
    return colors.yellow(status);
  }
  return colors.cyan(status);
}

export const FINISHED_BATCH_STATUSES: ReadonlySet<BatchStatus> = new Set([
  'COMPLETED',
  'COMPLETED_WITH_FAILURES',
  'FAILED',
  'REJECTED',
]);

/** `[██████░░░░] 6/10` */
export function progressBar(done: number, total: number, width = 30): string {
  const ratio = total <= 0 ? 0 : Math.min(1, done / total);
  const full = Math.round(ratio * width);
  return `[${'█'.repeat(full)}${'░'.repeat(width - full)}] ${done}/${total}`;
}

const RELATIVE = /^(\d+(?:\.\d+)?)\s*(m|min|h|d|w)$/i;
const UNIT_MS: Record<string, number> = {
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A time bound of --since/--until as an ISO timestamp: an ISO date or time, or a span back from
 * now (`30m`, `24h`, `7d`, `2w`). A date alone means its start for --since and its end for
 * --until, so `--until 2026-11-20` includes that whole day (UTC); a time without a zone is UTC.
 */
export function parseTimeBound(value: string, now: Date, bound: 'since' | 'until'): string {
  const text = value.trim();
  const relative = RELATIVE.exec(text);
  if (relative) {
    const unit = UNIT_MS[(relative[2] ?? '').toLowerCase()] ?? 0;
    return new Date(now.getTime() - Number(relative[1]) * unit).toISOString();
  }
  if (DATE_ONLY.test(text)) {
    const start = Date.parse(`${text}T00:00:00.000Z`);
    if (!Number.isNaN(start)) {
      return new Date(bound === 'since' ? start : start + 86_400_000 - 1).toISOString();
    }
  }
  // A time without a zone is UTC, like every time gwm shows.
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(text) ? text : `${text}Z`;
  const time = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(zoned) : Number.NaN;
  if (Number.isNaN(time)) {
    throw usageError(
      `--${bound} ${JSON.stringify(value)}: expected an ISO date or time (2026-11-20, 2026-11-20T08:00:00Z) or a span such as 30m, 24h, 7d, 2w`,
    );
  }
  return new Date(time).toISOString();
}

export function parsePositiveInt(value: string, option: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw usageError(`${option} ${JSON.stringify(value)}: expected a whole number of at least 1`);
  }
  return number;
}

/** Problems as aligned columns: where, code, message. */
export function problemLines(
  problems: readonly { where: string; code: string; message: string }[],
): string[] {
  const where = Math.max(...problems.map((problem) => problem.where.length));
  const code = Math.max(...problems.map((problem) => problem.code.length));
  return problems.map(
    (problem) => `  ${problem.where.padEnd(where)}  ${problem.code.padEnd(code)}  ${problem.message}`,
  );
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
