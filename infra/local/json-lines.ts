import { readTextIfExists } from './read-if-exists.js';

/**
 * The lines of a JSON-lines file the local runtime appends to (engine runs, S3 notification
 * journal, outboxes, dead letters, injected faults), parsed. A missing file has none. Blank lines
 * are skipped, and so is a line that does not parse: a process killed in the middle of an append
 * leaves half a last line, and what it was writing never answered anyone.
 */
export async function readJsonLines<T>(path: string): Promise<T[]> {
  const text = await readTextIfExists(path);
  if (text === undefined) return [];
  const values: T[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      values.push(JSON.parse(line) as T);
    } catch {
      // half a line from a killed writer
    }
  }
  return values;
}
