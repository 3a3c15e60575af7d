import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DynamoDBRecord } from 'aws-lambda';
import { describeError } from '../../../domain/errors.js';
import type { LocalLog } from '../local-log.js';
import type { DispatchFailure, FailureCondition } from './stream-dispatch.js';

/** One line of a dead-letter file, after Lambda's on-failure record for a stream batch. */
export interface DeadLetter {
  consumer: string;
  at: string;
  condition: FailureCondition;
  reason: string;
  /** Calls whose batch held the record. */
  attempts: number;
  streamArn: string;
  shardId: string;
  /** The last batch that held the record. */
  batch: DispatchFailure['batch'];
  record: DynamoDBRecord;
}

export interface DeadLetterSink {
  file: string;
  /** Writes the records a consumer gave up on (and logs each); the consumer moves on either way. */
  write(failures: DispatchFailure[], shardOf: (record: DynamoDBRecord) => string | undefined): Promise<void>;
}

/** `<dir>/<consumer>.jsonl`, like a mapping's on-failure destination. */
export function createDeadLetterSink(options: {
  dir: string;
  consumer: string;
  streamArn: string;
  log: LocalLog;
}): DeadLetterSink {
  const { dir, consumer, streamArn, log } = options;
  const file = join(dir, `${consumer}.jsonl`);
  return {
    file,
    async write(failures, shardOf) {
      const at = new Date().toISOString();
      const letters: DeadLetter[] = failures.map((failure) => ({
        consumer,
        at,
        condition: failure.condition,
        reason: failure.reason,
        attempts: failure.attempts,
        streamArn,
        shardId: shardOf(failure.record) ?? 'unknown',
        batch: failure.batch,
        record: failure.record,
      }));
      for (const letter of letters) {
        log('warn', 'a stream consumer gave up on a record', {
          consumer,
          condition: letter.condition,
          reason: letter.reason,
          attempts: letter.attempts,
          sequenceNumber: letter.record.dynamodb?.SequenceNumber,
          deadLetterFile: file,
        });
      }
      const lines = letters.map((letter) => `${JSON.stringify(letter)}\n`).join('');
      try {
        await mkdir(dir, { recursive: true });
        await appendFile(file, lines);
      } catch (error) {
        // The records are in the log at least; the consumer still moves on, as a mapping would.
        log('error', 'could not write to the dead-letter file', {
          deadLetterFile: file,
          error: describeError(error),
          deadLetters: letters,
        });
      }
    },
  };
}
