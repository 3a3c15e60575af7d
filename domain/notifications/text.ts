import { clip, utf8Length } from '../text.js';

// Text of a notice that stays within bounds: one-line fields, SNS subjects, durations and counts.

/** SNS: a subject is printable ASCII, one line, and less than 100 characters. */
export const MAX_SUBJECT_CHARS = 99;

/** Log lines of a sample the message shows, and the length each is cut to. */
export const LOG_LINES_IN_TEXT = 10;
export const LOG_LINE_CHARS = 300;
const TEXT_FIELD_CHARS = 2000;

/** `gwm: <name> <rest>`, the name shortened so the whole stays a valid SNS subject. */
export function makeSubject(batchName: string, rest: string): string {
  const safeRest = toAsciiLine(rest);
  const prefix = 'gwm: ';
  const room = MAX_SUBJECT_CHARS - prefix.length - 1 - safeRest.length;
  let name = toAsciiLine(batchName);
  if (name.length > room) name = room > 3 ? clip(name, room, { mark: '...' }) : '';
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
export function field(value: string): string {
  return clip(oneLine(value), TEXT_FIELD_CHARS);
}

/** One line of text without control characters (terminal colour codes included). */
export function oneLine(value: string): string {
  return value
    .replace(/\p{Cc}\[[0-9;?]*[ -/]*[@-~]/gu, '')
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/\p{Cc}/gu, '')
    .trimEnd();
}

/** `2 h 14 min`, `3 min 20 s`, `45 s`, `1 d 3 h`; `unknown` when the times do not make sense. */
export function formatDuration(startedAt: string, finishedAt: string): string {
  return formatElapsed(Date.parse(finishedAt) - Date.parse(startedAt));
}

/** A number of milliseconds as formatDuration writes it. */
export function formatElapsed(ms: number): string {
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

export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export function nonNegativeInt(n: number): number {
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

export function jsonBytes(value: unknown): number {
  return utf8Length(JSON.stringify(value));
}
