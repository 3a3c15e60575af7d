import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describeError } from '../../../domain/errors.js';
import { isRecord } from '../../../domain/is-record.js';
import type { LocalLog } from '../local-log.js';

/**
 * The stream pump's checkpoint file: for each consumer, per shard, the sequence number of the last
 * record it settled, so a restart resumes the stream instead of replaying it. Written at most once
 * a second while running and always on stop, atomically.
 */

export interface StreamCheckpoint {
  version: 1;
  streamArn: string;
  savedAt: string;
  consumers: Record<string, Record<string, string>>;
}

/** What the checkpoint says when the pump starts. */
export interface RestoredPositions {
  /** Per consumer, per shard: records up to these were dispatched before the restart. */
  consumers: Map<string, Map<string, string>>;
  /** Per shard, where the reader starts: after the position every consumer has passed. */
  startAfter: Record<string, string>;
}

export interface CheckpointStore {
  restore(consumerNames: readonly string[]): Promise<RestoredPositions>;
  /** Asks for a write within the checkpoint interval (one at most in flight). */
  schedule(): void;
  /** Writes the positions now (after any write in flight). */
  save(): Promise<void>;
  /** No more scheduled writes; `save` still works. */
  cancelScheduled(): void;
}

/** Checkpoints are written at most this often while running (and always on stop). */
const CHECKPOINT_INTERVAL_MS = 1_000;

export function createCheckpointStore(options: {
  file: string | undefined;
  streamArn: string;
  /** Each consumer's positions as they are now. */
  positions: () => Record<string, Record<string, string>>;
  log: LocalLog;
}): CheckpointStore {
  const { file, streamArn, log } = options;
  let loaded = false;
  let cancelled = false;
  let timer: NodeJS.Timeout | undefined;
  let writes: Promise<void> = Promise.resolve();

  function save(): Promise<void> {
    if (file === undefined || !loaded) return writes;
    const checkpoint: StreamCheckpoint = {
      version: 1,
      streamArn,
      savedAt: new Date().toISOString(),
      consumers: options.positions(),
    };
    writes = writes.then(async () => {
      try {
        await writeFileAtomically(file, `${JSON.stringify(checkpoint, null, 2)}\n`);
      } catch (error) {
        log('error', 'could not write the stream checkpoint', {
          checkpointFile: file,
          error: describeError(error),
        });
      }
    });
    return writes;
  }

  return {
    async restore(consumerNames) {
      const empty: RestoredPositions = { consumers: new Map(), startAfter: {} };
      try {
        if (file === undefined) return empty;
        const checkpoint = await loadCheckpoint(file, log);
        if (checkpoint === undefined) return empty;
        if (checkpoint.streamArn !== streamArn) {
          log(
            'info',
            'the stream checkpoint belongs to another stream (the table was recreated); reading from the oldest record',
            { checkpointFile: file, checkpointStream: checkpoint.streamArn, streamArn },
          );
          return empty;
        }
        const consumers = new Map(
          consumerNames.map((name) => [name, new Map(Object.entries(checkpoint.consumers[name] ?? {}))]),
        );
        // The reader starts each shard after the position every consumer has passed; a consumer that is
        // further on skips what it already had. A consumer new to the checkpoint reads the whole stream.
        const startAfter: Record<string, string> = {};
        const shardIds = new Set([...consumers.values()].flatMap((positions) => [...positions.keys()]));
        for (const shardId of shardIds) {
          const positions = [...consumers.values()].map((restored) => restored.get(shardId));
          if (positions.some((position) => position === undefined)) continue;
          const [first, ...others] = positions as string[];
          if (first === undefined) continue;
          startAfter[shardId] = others.reduce(
            (lowest, position) => (compareSequenceNumbers(position, lowest) < 0 ? position : lowest),
            first,
          );
        }
        log('info', 'resuming the DynamoDB stream from the checkpoint', {
          checkpointFile: file,
          shards: startAfter,
        });
        return { consumers, startAfter };
      } finally {
        loaded = true;
      }
    },
    schedule() {
      if (file === undefined || timer !== undefined || cancelled) return;
      timer = setTimeout(() => {
        timer = undefined;
        void save();
      }, CHECKPOINT_INTERVAL_MS);
    },
    save,
    cancelScheduled() {
      cancelled = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}

async function loadCheckpoint(file: string, log: LocalLog): Promise<StreamCheckpoint | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    log('warn', 'cannot read the stream checkpoint; reading the stream from its oldest record', {
      checkpointFile: file,
      error: describeError(error),
    });
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (isCheckpoint(parsed)) return parsed;
  } catch {
    // Reported below with the other unreadable shapes.
  }
  // Dispatching records twice is safe for gwm's consumers; skipping some would lose launches.
  log('warn', 'the stream checkpoint is unreadable; reading the stream from its oldest record', {
    checkpointFile: file,
  });
  return undefined;
}

function isCheckpoint(value: unknown): value is StreamCheckpoint {
  if (!isRecord(value) || value.version !== 1 || typeof value.streamArn !== 'string') return false;
  const { consumers } = value;
  return (
    isRecord(consumers) &&
    Object.values(consumers).every(
      (positions) =>
        isRecord(positions) && Object.values(positions).every((position) => typeof position === 'string'),
    )
  );
}

/** Stream sequence numbers are decimal strings of any length, increasing within a shard. */
export function compareSequenceNumbers(left: string, right: string): number {
  const a = left.replace(/^0+(?=\d)/, '');
  const b = right.replace(/^0+(?=\d)/, '');
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A crash mid-write leaves the previous checkpoint in place rather than half a file. */
async function writeFileAtomically(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, file);
}
