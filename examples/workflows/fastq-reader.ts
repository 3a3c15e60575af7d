/**
 * Reading one FASTQ file for fastq-stats: streamed, gunzipped when it is gzip (told by its magic
 * bytes), validated strictly record by record, and counted into a tally.
 */
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { errorMessage } from '../../domain/errors.js';
import { clip } from '../../domain/text.js';
import type { ReadFileRole, ReadStats } from './fastq-stats.js';
import { InputError } from './s3-io.js';

const PROGRESS_EVERY = 1_000_000;

/** A tally as JSON: its counts, and the read-length histogram as [length, reads] pairs. */
export interface TallyJson {
  reads: number;
  bases: number;
  gcBases: number;
  nBases: number;
  qualitySum: number;
  atOrAboveMin: number;
  lengths: Array<[number, number]>;
}

/** Running totals of one file (or several files added together). */
export class Tally {
  reads = 0;
  bases = 0;
  gcBases = 0;
  nBases = 0;
  qualitySum = 0;
  atOrAboveMin = 0;
  readonly lengths = new Map<number, number>();

  /** Its counts as JSON (what the run cache keeps of a measured file), and back. */
  toJson(): TallyJson {
    const { reads, bases, gcBases, nBases, qualitySum, atOrAboveMin } = this;
    return { reads, bases, gcBases, nBases, qualitySum, atOrAboveMin, lengths: [...this.lengths] };
  }

  static fromJson(json: TallyJson): Tally {
    const tally = new Tally();
    tally.reads = json.reads;
    tally.bases = json.bases;
    tally.gcBases = json.gcBases;
    tally.nBases = json.nBases;
    tally.qualitySum = json.qualitySum;
    tally.atOrAboveMin = json.atOrAboveMin;
    for (const [length, count] of json.lengths) tally.lengths.set(length, count);
    return tally;
  }

  add(other: Tally): void {
    this.reads += other.reads;
    this.bases += other.bases;
    this.gcBases += other.gcBases;
    this.nBases += other.nBases;
    this.qualitySum += other.qualitySum;
    this.atOrAboveMin += other.atOrAboveMin;
    for (const [length, count] of other.lengths)
      this.lengths.set(length, (this.lengths.get(length) ?? 0) + count);
  }

  stats(): ReadStats {
    const lengths = [...this.lengths.keys()].sort((a, b) => a - b);
    const histogram: Record<string, number> = {};
    for (const length of lengths) histogram[String(length)] = this.lengths.get(length) ?? 0;
    const calledBases = this.bases - this.nBases;
    return {
      reads: this.reads,
      bases: this.bases,
      gcBases: this.gcBases,
      nBases: this.nBases,
      gcPercent: ratio(this.gcBases * 100, calledBases),
      meanQuality: ratio(this.qualitySum, this.bases),
      basesAtOrAboveMinQuality: this.atOrAboveMin,
      fractionAtOrAboveMinQuality: ratio(this.atOrAboveMin, this.bases),
      nRate: ratio(this.nBases, this.bases),
      minReadLength: lengths[0] ?? null,
      maxReadLength: lengths.at(-1) ?? null,
      meanReadLength: ratio(this.bases, this.reads),
      readLengthHistogram: histogram,
    };
  }
}

/** Ratios are kept to 6 decimals: enough for any threshold, and stable in JSON. */
function ratio(numerator: number, denominator: number): number | null {
  if (denominator === 0) return null;
  return Math.round((numerator / denominator) * 1e6) / 1e6;
}

/** Where a problem is: `NA12878 reads1 line 9` and the URI, so the failure reason says it all. */
export interface Place {
  sample: string;
  role: ReadFileRole;
  uri: string;
}

function fastqError(place: Place, line: number | undefined, problem: string): InputError {
  const where =
    line === undefined ? `${place.sample} ${place.role}` : `${place.sample} ${place.role} line ${line}`;
  return new InputError('BAD_FASTQ', `${where}: ${problem} (${place.uri})`);
}

/** At most 40 characters of an offending line, quoted, so a binary file does not flood the reason. */
function preview(line: string): string {
  return JSON.stringify(clip(line, 40, { markOutside: true }));
}

const A = 65;
const C = 67;
const G = 71;
const N = 78;
const T = 84;
const LOWER = 32;
const AT_SIGN = 64;
const PLUS = 43;
const FIRST_QUALITY = 33;
const LAST_QUALITY = 126;

/**
 * Reads FASTQ lines strictly: four lines per record (`@name`, bases ACGTN in either case, `+`
 * optionally repeating the name, one quality character per base in Phred+33). Blank lines are
 * allowed only at the end of the file.
 */
class FastqValidator {
  readonly tally = new Tally();
  /** 0: header expected, 1: sequence, 2: separator, 3: quality. */
  private expect = 0;
  private lineNumber = 0;
  private recordStart = 0;
  private name = '';
  private sequenceLength = 0;
  private blankLine: number | undefined;

  constructor(
    private readonly place: Place,
    private readonly minQuality: number,
  ) {}

  get lines(): number {
    return this.lineNumber;
  }

  line(text: string): void {
    this.lineNumber++;
    const line = this.lineNumber;
    if (this.expect === 0 && text.length === 0) {
      this.blankLine ??= line;
      return;
    }
    if (this.blankLine !== undefined) {
      throw fastqError(
        this.place,
        this.blankLine,
        'blank line inside the file (blank lines may only end it)',
      );
    }
    switch (this.expect) {
      case 0:
        if (text.charCodeAt(0) !== AT_SIGN) {
          throw fastqError(
            this.place,
            line,
            `expected a header line starting with '@', found ${preview(text)}`,
          );
        }
        if (text.length < 2) throw fastqError(this.place, line, 'header line has no read name');
        this.recordStart = line;
        this.name = text.slice(1);
        break;
      case 1:
        this.sequence(text, line);
        break;
      case 2:
        if (text.charCodeAt(0) !== PLUS) {
          throw fastqError(this.place, line, `expected a '+' separator line, found ${preview(text)}`);
        }
        if (text.length > 1 && text.slice(1) !== this.name) {
          throw fastqError(
            this.place,
            line,
            `separator line names ${preview(text.slice(1))}, but the record's header names ${preview(this.name)}`,
          );
        }
        break;
      default:
        this.quality(text, line);
    }
    this.expect = (this.expect + 1) % 4;
  }

  private sequence(text: string, line: number): void {
    const tally = this.tally;
    let gc = 0;
    let n = 0;
    for (let index = 0; index < text.length; index++) {
      const code = text.charCodeAt(index);
      const upper = code >= 97 ? code - LOWER : code;
      if (upper === G || upper === C) gc++;
      else if (upper === N) n++;
      else if (upper !== A && upper !== T) {
        throw fastqError(
          this.place,
          line,
          `invalid base ${JSON.stringify(text[index])} at position ${index + 1} of the sequence (allowed: A, C, G, T, N)`,
        );
      }
    }
    tally.gcBases += gc;
    tally.nBases += n;
    this.sequenceLength = text.length;
  }

  private quality(text: string, line: number): void {
    if (text.length !== this.sequenceLength) {
      throw fastqError(
        this.place,
        line,
        `quality line length ${text.length} differs from sequence length ${this.sequenceLength}`,
      );
    }
    let sum = 0;
    let atOrAbove = 0;
    const threshold = FIRST_QUALITY + this.minQuality;
    for (let index = 0; index < text.length; index++) {
      const code = text.charCodeAt(index);
      if (code < FIRST_QUALITY || code > LAST_QUALITY) {
        throw fastqError(
          this.place,
          line,
          `invalid quality character ${JSON.stringify(text[index])} at position ${index + 1} (Phred+33 uses '!' to '~')`,
        );
      }
      sum += code - FIRST_QUALITY;
      if (code >= threshold) atOrAbove++;
    }
    const tally = this.tally;
    tally.reads++;
    tally.bases += text.length;
    tally.qualitySum += sum;
    tally.atOrAboveMin += atOrAbove;
    tally.lengths.set(text.length, (tally.lengths.get(text.length) ?? 0) + 1);
  }

  end(): void {
    if (this.expect !== 0) {
      throw fastqError(
        this.place,
        this.lineNumber,
        `file ends inside the record that starts at line ${this.recordStart} (${this.expect} of its 4 lines present)`,
      );
    }
  }
}

/** Splits bytes into lines (LF or CRLF); FASTQ is ASCII, so latin1 decodes each byte on its own. */
async function* linesOf(chunks: AsyncIterable<Buffer>): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of chunks) {
    const text = rest + chunk.toString('latin1');
    let start = 0;
    let newline = text.indexOf('\n', start);
    while (newline !== -1) {
      const end = newline > start && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
      yield text.slice(start, end);
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    rest = text.slice(start);
  }
  if (rest.length > 0) yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

/**
 * The file's bytes, gunzipped when they start with the gzip magic bytes (1f 8b). Concatenated
 * gzip members (BGZF, as sequencers write) are read through.
 */
async function* decodedBytes(source: Readable, onFormat: (gzipped: boolean) => void): AsyncGenerator<Buffer> {
  const iterator = (source as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  try {
    const head: Buffer[] = [];
    let headLength = 0;
    while (headLength < 2) {
      const next = await iterator.next();
      if (next.done) break;
      head.push(next.value);
      headLength += next.value.length;
    }
    const first = Buffer.concat(head);
    const gzipped = first[0] === 0x1f && first[1] === 0x8b;
    onFormat(gzipped);
    async function* raw(): AsyncGenerator<Buffer> {
      if (first.length > 0) yield first;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    }
    if (!gzipped) {
      yield* raw();
      return;
    }
    const gunzip = createGunzip();
    // A failure on either side destroys the gunzip stream with that error, which ends the loop below.
    pipeline(Readable.from(raw()), gunzip, () => {});
    for await (const chunk of gunzip as AsyncIterable<Buffer>) yield chunk;
  } finally {
    await iterator.return?.();
  }
}

export async function measureFile(
  open: (uri: string) => Promise<Readable>,
  place: Place,
  minQuality: number,
  log: (message: string) => void,
): Promise<{ tally: Tally; gzipped: boolean }> {
  const validator = new FastqValidator(place, minQuality);
  let gzipped = false;
  let source: Readable;
  try {
    source = await open(place.uri);
  } catch (error) {
    const code = error instanceof InputError ? error.code : 'INPUT_UNREADABLE';
    throw new InputError(code, `${place.sample} ${place.role}: ${errorMessage(error)}`, { cause: error });
  }
  let nextProgress = PROGRESS_EVERY;
  try {
    for await (const line of linesOf(decodedBytes(source, (value) => (gzipped = value)))) {
      validator.line(line);
      if (validator.tally.reads >= nextProgress) {
        log(`${place.sample} ${place.role}: ${validator.tally.reads.toLocaleString('en-US')} reads`);
        nextProgress += PROGRESS_EVERY;
      }
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw readError(place, validator.lines, gzipped, error);
  } finally {
    source.destroy();
  }
  validator.end();
  return { tally: validator.tally, gzipped };
}

function readError(place: Place, lines: number, gzipped: boolean, error: unknown): InputError {
  const code = (error as { code?: unknown } | null)?.code;
  const after = `after ${lines} complete lines`;
  if (gzipped && code === 'Z_BUF_ERROR') {
    return fastqError(place, undefined, `gzip data is truncated (unexpected end of file ${after})`);
  }
  if (gzipped && typeof code === 'string' && code.startsWith('Z_')) {
    return fastqError(place, undefined, `gzip data is corrupt (${errorMessage(error)}, ${after})`);
  }
  return fastqError(place, undefined, `reading failed ${after}: ${errorMessage(error)}`);
}
