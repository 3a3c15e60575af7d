import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePowertoolsTelemetry, type Telemetry } from '../../functions/adapters/telemetry.js';
import { SERVICE_NAMES, type ServiceKey } from '../../functions/service-names.js';
import { COST_WINDOW } from './dashboard/dashboard-data.js';

/** The handlers' EMF records, one JSON object a line, in the state folder: `gwm dashboard` reads them. */
export const METRICS_JOURNAL = 'metrics.jsonl';

/** Records older than this are in no widget: the widest window is the cost widget's week, by day. */
export const JOURNAL_KEEP_MS = COST_WINDOW.spanMs + COST_WINDOW.bucketMs;

/** How often a stack that stays up drops the records past JOURNAL_KEEP_MS. */
export const JOURNAL_TRIM_EVERY_MS = 3_600_000;

/** Builds a handler with its function's telemetry; the handler's calls are journaled. */
export type JournaledHandler = <A extends unknown[], R>(
  service: ServiceKey,
  make: (telemetry: Telemetry) => (...args: A) => Promise<R>,
) => (...args: A) => Promise<R>;

/**
 * Each handler's telemetry as a Lambda function has it (Powertools Metrics under its own service
 * name), each invocation's EMF record appended to the journal after the call, returned or thrown,
 * where on Lambda `withPowertools` writes it to standard output. Logs are silenced: the local
 * stack reports what people need through its own log.
 *
 * The journal keeps what the dashboard can show: records past JOURNAL_KEEP_MS are dropped when the
 * stack starts and every JOURNAL_TRIM_EVERY_MS after, so a stack left up for weeks does not grow it
 * without end (nor the dashboard's read of it).
 */
export function makeLocalTelemetry(
  stateDir: string,
  stackName: string,
  options: { now?: () => number; onTrimError?: (error: unknown) => void } = {},
): JournaledHandler {
  const file = join(stateDir, METRICS_JOURNAL);
  const now = options.now ?? Date.now;
  // Housekeeping: a trim that fails (a full disk, say) is reported and tried again in an hour; it
  // never fails the stack's start or the handler whose record was being written.
  const trim = (at: number) => {
    try {
      trimMetricsJournal(file, at - JOURNAL_KEEP_MS);
    } catch (error) {
      options.onTrimError?.(error);
    }
  };
  let trimmedAt = now();
  trim(trimmedAt);
  // Appended whole and at once: a record is one invocation's metrics, never half of one. The trim
  // is synchronous too, so no append falls between its read and its rename.
  const writeEmf = (record: string) => {
    appendFileSync(file, `${record}\n`);
    const at = now();
    if (at - trimmedAt < JOURNAL_TRIM_EVERY_MS) return;
    trimmedAt = at;
    trim(at);
  };
  return (service, make) => {
    const telemetry = makePowertoolsTelemetry(SERVICE_NAMES[service], stackName, {
      writeEmf,
      logLevel: 'SILENT',
    });
    const handler = make(telemetry);
    return async (...args) => {
      try {
        return await handler(...args);
      } finally {
        telemetry.writeStoredMetrics();
      }
    };
  };
}

/**
 * Rewrites the journal with the records stamped `cutoff` (ms) or later, in their order: written
 * whole beside it, then renamed over it, so a reader sees the old journal or the new one. Lines
 * that are not EMF records (no `_aws.Timestamp`) are dropped with the old ones: no widget reads them.
 */
export function trimMetricsJournal(file: string, cutoff: number): { kept: number; dropped: number } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kept: 0, dropped: 0 };
    throw error;
  }
  const lines = text.split('\n').filter((line) => line !== '');
  const kept = lines.filter((line) => timestampOf(line) >= cutoff);
  const dropped = lines.length - kept.length;
  if (dropped > 0) {
    const temp = `${file}.trim-${process.pid}`;
    writeFileSync(temp, kept.map((line) => `${line}\n`).join(''));
    renameSync(temp, file);
  }
  return { kept: kept.length, dropped };
}

function timestampOf(line: string): number {
  try {
    const stamp = (JSON.parse(line) as { _aws?: { Timestamp?: unknown } } | null)?._aws?.Timestamp;
    return typeof stamp === 'number' ? stamp : Number.NEGATIVE_INFINITY;
  } catch {
    return Number.NEGATIVE_INFINITY;
  }
}
