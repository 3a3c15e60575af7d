// Text that stays within bounds: UTF-8 sizes, clipping, one-line fields, SNS subjects.

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

export function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** The first `max` characters, marked with `…` when cut; never splits a surrogate pair. */
export function clip(value: string, max: number): string {
  if (value.length <= max) return value;
  let end = max - 1;
  if (isLowSurrogate(value.charCodeAt(end))) end -= 1;
  return `${value.slice(0, end)}…`;
}

/** The last `max` characters, marked with `…` when cut (a log's end matters more than its start). */
export function clipStart(value: string, max: number): string {
  if (value.length <= max) return value;
  let start = value.length - (max - 1);
  if (isLowSurrogate(value.charCodeAt(start))) start += 1;
  return `…${value.slice(start)}`;
}

/** A last resort for text whose fixed parts alone are too large: cut at a character boundary. */
export function clipUtf8(value: string, maxBytes: number): string {
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
