import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRICS } from '../../domain/metrics.js';
import {
  JOURNAL_KEEP_MS,
  JOURNAL_TRIM_EVERY_MS,
  METRICS_JOURNAL,
  makeLocalTelemetry,
  trimMetricsJournal,
} from '../../infra/local/metrics-journal.js';
import { tempFolders } from '../support/temp-folders.js';

const DAY = 86_400_000;
const newFolder = tempFolders('gwm-journal-');

/** An EMF record of one RunsStarted count, stamped `at`. */
const record = (at: number) =>
  JSON.stringify({
    _aws: {
      Timestamp: at,
      CloudWatchMetrics: [
        { Namespace: 'gwm', Dimensions: [['service']], Metrics: [{ Name: 'RunsStarted' }] },
      ],
    },
    service: 'gwm-launcher',
    RunsStarted: 1,
  });
const linesOf = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
const stampsOf = (file: string) => linesOf(file).map((line) => JSON.parse(line)._aws.Timestamp as number);

describe('the metrics journal of the embedded runtime', () => {
  it('keeps the records from the cutoff on, in their order, and drops older ones and lines that are no record', async () => {
    // Prepare
    const file = join(await newFolder(), METRICS_JOURNAL);
    const now = Date.parse('2026-12-07T12:00:00.000Z');
    writeFileSync(
      file,
      [record(now - 9 * DAY), 'not json', record(now - DAY), '{"no":"stamp"}', record(now), ''].join('\n'),
    );

    // Act
    const result = trimMetricsJournal(file, now - 8 * DAY);

    // Assess
    expect(result).toEqual({ kept: 2, dropped: 3 });
    expect(linesOf(file)).toEqual([record(now - DAY), record(now)]);
  });

  it('leaves a journal with nothing to drop as it is, and a missing one missing', async () => {
    const folder = await newFolder();
    const file = join(folder, METRICS_JOURNAL);
    expect(trimMetricsJournal(file, 0)).toEqual({ kept: 0, dropped: 0 });
    writeFileSync(file, `${record(5)}\n`);
    expect(trimMetricsJournal(file, 5)).toEqual({ kept: 1, dropped: 0 });
    expect(linesOf(file)).toEqual([record(5)]);
  });

  it('drops what is past the dashboard when the stack starts, and again each hour while it stays up', async () => {
    // Prepare: a journal left by an earlier stack, from well before and just inside the window
    const stateDir = await newFolder();
    const file = join(stateDir, METRICS_JOURNAL);
    const started = Date.now();
    writeFileSync(file, `${record(started - JOURNAL_KEEP_MS - DAY)}\n${record(started - 2 * DAY)}\n`);
    let clock = started;

    // Act: the stack starts, a handler runs, then runs again over an hour later, nine days on
    const journaled = makeLocalTelemetry(stateDir, 'gwm-test', { now: () => clock });
    const afterStart = stampsOf(file);
    const launcher = journaled('launcher', (telemetry) => async () => telemetry.count(METRICS.runsStarted));
    await launcher();
    const sameHour = stampsOf(file);
    clock = started + 7 * DAY + JOURNAL_TRIM_EVERY_MS;
    await launcher();

    // Assess: the old record went at start; the hour's trim took the two-day-old one, kept the runs
    expect(afterStart).toEqual([started - 2 * DAY]);
    expect(sameHour).toHaveLength(2);
    const final = linesOf(file).map((line) => JSON.parse(line));
    expect(final).toHaveLength(2);
    expect(final.every((entry) => entry.RunsStarted === 1 && entry._aws.Timestamp >= started)).toBe(true);
  });

  it('reports a trim that fails and goes on: the stack starts and the handlers journal their records', async () => {
    // Prepare: an old record to drop, and a folder in the way of the rewritten journal
    const stateDir = await newFolder();
    const file = join(stateDir, METRICS_JOURNAL);
    const started = Date.now();
    writeFileSync(file, `${record(started - JOURNAL_KEEP_MS - DAY)}\n`);
    mkdirSync(`${file}.trim-${process.pid}`);
    const failures: unknown[] = [];

    // Act
    const journaled = makeLocalTelemetry(stateDir, 'gwm-test', {
      onTrimError: (error) => failures.push(error),
    });
    const launcher = journaled('launcher', (telemetry) => async () => {
      telemetry.count(METRICS.runsStarted);
      return 'started';
    });

    // Assess
    expect(failures).toHaveLength(1);
    expect(await launcher()).toBe('started');
    expect(stampsOf(file)).toHaveLength(2);
  });
});
