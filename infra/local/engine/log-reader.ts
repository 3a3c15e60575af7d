import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunLogReader, RunLogTail } from '../../../domain/ports.js';
import { clip } from '../../../domain/text.js';

const LINE_MAX = 500;
/** Enough for the last lines of any log gwm shows; a long log is not read whole. */
const TAIL_BYTES = 256 * 1024;

/** Reads the end of a local run's log, `<runsDir>/<runId>/run.log`, as the CloudWatch reader does on AWS. */
export function makeLocalLogReader(runsDir: string): RunLogReader {
  return {
    async tail(runId: string, maxLines: number): Promise<RunLogTail | undefined> {
      if (!/^\d+$/.test(runId)) return undefined;
      const location = join(runsDir, runId, 'run.log');
      let text: string;
      try {
        text = await readTail(location, TAIL_BYTES);
      } catch (error) {
        // A run that failed before its program started has no log: say where it would be.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { location, lines: [] };
        return { location, lines: [`(log not readable: ${(error as Error).message})`] };
      }
      const lines = text
        .split(/\r?\n/)
        .map((line) => line.trimEnd())
        .filter((line, index, all) => line !== '' || index < all.length - 1)
        .slice(-maxLines)
        .map((line) => clip(line, LINE_MAX, { markOutside: true }));
      return { location, lines };
    },
  };
}

async function readTail(path: string, maxBytes: number): Promise<string> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const start = Math.max(0, size - maxBytes);
    const buffer = Buffer.alloc(size - start);
    await file.read(buffer, 0, buffer.length, start);
    const text = buffer.toString('utf8');
    // Drop a partial first line when the read started mid-file.
    return start === 0 ? text : text.slice(text.indexOf('\n') + 1);
  } finally {
    await file.close();
  }
}
