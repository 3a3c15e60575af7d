import { gzipSync } from 'node:zlib';

/**
 * Deterministic FASTQ for demos and tests: the same options always give the same bytes, so a demo
 * flowcell can be regenerated anywhere and its statistics known in advance.
 */
export interface SyntheticFastqOptions {
  seed: number;
  reads: number;
  readLength: number;
  /** Share of G and C among the bases that are not N; 0.5 when absent. */
  gcFraction?: number;
  /** Phred scores are drawn uniformly from meanQuality ± 5 (kept within 2..41); 35 when absent. */
  meanQuality?: number;
  /** Share of bases written as N; 0 when absent. */
  nFraction?: number;
  gzip?: boolean;
  /** Read names are `<namePrefix>:<n>` (n from 1); `read` when absent. */
  namePrefix?: string;
}

const QUALITY_SPREAD = 5;
const MIN_QUALITY = 2;
const MAX_QUALITY = 41;

/** A FASTQ file (four lines per read, Phred+33 qualities), gzipped when asked. */
export function syntheticFastq(options: SyntheticFastqOptions): Buffer {
  return encode(writeRecords(options, undefined), options.gzip === true);
}

export interface CorruptFastqOptions extends SyntheticFastqOptions {
  /** 0-based record whose quality line loses its last character; the middle record when absent. */
  defectRecord?: number;
}

/**
 * A synthetic FASTQ with one defect: the quality line of one record (by default record
 * `floor(reads / 2)`, 0-based) is one character shorter than its sequence. That quality line is
 * line `4 * record + 4` of the file (1-based).
 */
export function corruptFastq(options: CorruptFastqOptions): Buffer {
  if (options.readLength < 1) throw new RangeError('corruptFastq needs a read length of at least 1');
  const defect = options.defectRecord ?? Math.floor(options.reads / 2);
  if (!Number.isInteger(defect) || defect < 0 || defect >= options.reads) {
    throw new RangeError(`corruptFastq: record ${defect} is outside the ${options.reads} reads`);
  }
  return encode(writeRecords(options, defect), options.gzip === true);
}

const BYTE = { A: 65, C: 67, G: 71, N: 78, T: 84, newline: 10, plus: 43, at: 64 } as const;

/** The records written straight into one buffer (building strings base by base is far slower). */
function writeRecords(options: SyntheticFastqOptions, shortQualityRecord: number | undefined): Buffer {
  const gcFraction = options.gcFraction ?? 0.5;
  const meanQuality = options.meanQuality ?? 35;
  const nFraction = options.nFraction ?? 0;
  const prefix = options.namePrefix ?? 'read';
  const { reads, readLength } = options;
  if (!Number.isInteger(reads) || reads < 0) throw new RangeError('reads must be an integer >= 0');
  if (!Number.isInteger(readLength) || readLength < 0) {
    throw new RangeError('readLength must be an integer >= 0');
  }
  const header = (index: number) => `${prefix}:${index + 1}`;
  let size = 0;
  for (let index = 0; index < reads; index++) {
    // '@' name '\n' sequence '\n' '+' '\n' quality '\n'
    size += Buffer.byteLength(header(index)) + 2 * readLength + 6;
  }
  if (shortQualityRecord !== undefined) size -= 1;
  const out = Buffer.allocUnsafe(size);
  const random = mulberry32(options.seed);
  let offset = 0;
  for (let index = 0; index < reads; index++) {
    out[offset++] = BYTE.at;
    offset += out.write(header(index), offset);
    out[offset++] = BYTE.newline;
    const sequenceStart = offset;
    for (let position = 0; position < readLength; position++) {
      out[sequenceStart + position] = randomBase(random, gcFraction, nFraction);
    }
    offset += readLength;
    out[offset++] = BYTE.newline;
    out[offset++] = BYTE.plus;
    out[offset++] = BYTE.newline;
    const qualities = index === shortQualityRecord ? readLength - 1 : readLength;
    for (let position = 0; position < readLength; position++) {
      const score = Math.round(meanQuality - QUALITY_SPREAD + random() * 2 * QUALITY_SPREAD);
      if (position < qualities) out[offset++] = 33 + Math.min(MAX_QUALITY, Math.max(MIN_QUALITY, score));
    }
    out[offset++] = BYTE.newline;
  }
  return out;
}

/** One draw per base (two with Ns): the draw picks G or C below gcFraction, A or T above it. */
function randomBase(random: () => number, gcFraction: number, nFraction: number): number {
  if (nFraction > 0 && random() < nFraction) return BYTE.N;
  const draw = random();
  if (draw < gcFraction) return draw < gcFraction / 2 ? BYTE.G : BYTE.C;
  return draw < gcFraction + (1 - gcFraction) / 2 ? BYTE.A : BYTE.T;
}

/** The fastest level: demo flowcells are generated on the spot, and size hardly matters there. */
function encode(bytes: Buffer, gzip: boolean): Buffer {
  return gzip ? gzipSync(bytes, { level: 1 }) : bytes;
}

/** mulberry32: a small seeded PRNG with 32 bits of state, plenty for test data. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
