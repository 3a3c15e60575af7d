// Text cut to fit: by characters (from the start or the end) and by UTF-8 size.

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

export interface ClipOptions {
  /** A cut value keeps its first `max` characters and the mark follows them; by default the mark is within `max`. */
  markOutside?: boolean;
  /** What marks a cut value: `…` unless given (`...` where only ASCII will do). */
  mark?: string;
}

/** The first `max` characters, marked with `…` when cut; never splits a surrogate pair. */
export function clip(value: string, max: number, options: ClipOptions = {}): string {
  if (value.length <= max) return value;
  const mark = options.mark ?? '…';
  let end = options.markOutside ? max : max - mark.length;
  if (isLowSurrogate(value.charCodeAt(end))) end -= 1;
  return `${value.slice(0, end)}${mark}`;
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
