import { appendFile, rename, writeFile } from 'node:fs/promises';
import type { S3Event } from 'aws-lambda';
import { readJsonLines } from '../json-lines.js';

/**
 * The local S3's memory of the notifications it owes: each event is written here before it is
 * handed to the handler, and marked done once handled or dead-lettered. S3 delivers an event at
 * least once even if the consumer's machine stops; a local stack killed with kill -9 would lose the
 * ones in flight (a manifest left registered halfway, never finished): the next one delivers them.
 */

type Line = { kind: 'pending'; id: string; event: S3Event } | { kind: 'done'; id: string };

export interface NotificationJournal {
  /** Events an earlier server took and did not finish, in the order it took them. */
  pending: S3Event[];
  add(event: S3Event): Promise<void>;
  done(event: S3Event): Promise<void>;
}

/** One event's identity: where, what and when, with the sequencer S3 gives each change of a key. */
export function notificationId(event: S3Event): string {
  const record = event.Records[0];
  return JSON.stringify([
    record?.s3.bucket.name,
    record?.s3.object.key,
    record?.s3.object.sequencer,
    record?.eventTime,
  ]);
}

export async function openNotificationJournal(file: string): Promise<NotificationJournal> {
  const pending = new Map<string, S3Event>();
  for (const line of await readJsonLines<Line>(file)) {
    if (line.kind === 'pending') pending.set(line.id, line.event);
    else pending.delete(line.id);
  }
  // Compacted to what is still owed.
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(
    temporary,
    [...pending].map(([id, event]) => `${JSON.stringify({ kind: 'pending', id, event })}\n`).join(''),
  );
  await rename(temporary, file);

  let writes: Promise<void> = Promise.resolve();
  const append = (line: Line) => {
    writes = writes.then(() => appendFile(file, `${JSON.stringify(line)}\n`));
    return writes;
  };
  return {
    pending: [...pending.values()],
    add: (event) => append({ kind: 'pending', id: notificationId(event), event }),
    done: (event) => append({ kind: 'done', id: notificationId(event) }),
  };
}
