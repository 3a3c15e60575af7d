import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { type LaunchRow, toCsv } from '../../cli/commands/history.js';
import { renderStatus, statusExitCode } from '../../cli/commands/status.js';
import { CliError, EXIT } from '../../cli/exit-codes.js';
import {
  csvField,
  csvLine,
  formatRunTime,
  formatTime,
  parseTimeBound,
  progressBar,
} from '../../cli/format.js';
import { splitLaunchRef } from '../../cli/resolve.js';
import { type Batch, type BatchStatus, NO_COUNTS } from '../../domain/batch.js';
import { aBatch as aBatchOf, aLaunch } from '../support/launch-factory.js';

const NOW = new Date('2026-11-20T12:00:00.000Z');
const plain = pc.createColors(false);

/**
 * The history row of the current, failed first attempt of `sampleId` in batch b1 (named
 * `batchName`) of workflow 1234567.
 */
function failedLaunchRow(sampleId: string, batchName: string, fields: Partial<LaunchRow>): LaunchRow {
  return {
    batchId: 'b1',
    batchName,
    sampleId,
    launchId: `b1/${sampleId}`,
    workflowId: '1234567',
    attempt: 1,
    status: 'FAILED',
    current: true,
    ...fields,
  };
}

const aBatch = (overrides: Partial<Batch> = {}): Batch =>
  aBatchOf({
    contentSha256: 'abc',
    sampleCount: 2,
    releasedCount: 2,
    counts: NO_COUNTS,
    updatedAt: '2026-11-20T10:05:00.000Z',
    revision: 3,
    ...overrides,
  });

describe('run time from submission to the finish event', () => {
  it('never goes below zero when the finish event is stamped to the whole second', () => {
    // Submitted at .600, finished (event time, truncated) in the same second: the run took under 1 s.
    expect(formatRunTime('2026-11-20T10:00:03.600Z', '2026-11-20T10:00:03Z')).toBe('<1 s');
    // Finished somewhere in [05.000, 06.000): 1.4 to 2.4 s after 03.600, shown from the middle.
    expect(formatRunTime('2026-11-20T10:00:03.600Z', '2026-11-20T10:00:05Z')).toBe('2 s');
  });

  it('keeps tenths of a second when both stamps have milliseconds', () => {
    expect(formatRunTime('2026-11-20T10:00:03.600Z', '2026-11-20T10:00:05.950Z')).toBe('2.4 s');
    expect(formatRunTime('2026-11-20T10:00:03.600Z', '2026-11-20T10:00:03.900Z')).toBe('<1 s');
  });

  it('reads as minutes and hours for real runs', () => {
    expect(formatRunTime('2026-11-20T10:00:00.400Z', '2026-11-20T10:03:07Z')).toBe('3 min 07 s');
    expect(formatRunTime('2026-11-20T10:00:00.000Z', '2026-11-20T16:05:00Z')).toBe('6 h 05 min');
  });

  it('is empty while the run has not finished or a stamp is unreadable', () => {
    expect(formatRunTime('2026-11-20T10:00:00.000Z', undefined)).toBe('');
    expect(formatRunTime(undefined, '2026-11-20T10:00:00Z')).toBe('');
    expect(formatRunTime('not a time', '2026-11-20T10:00:00Z')).toBe('');
  });
});

describe('CSV output', () => {
  it('quotes a field only when it holds a comma, a quote, a line break or edge spaces', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(' padded')).toBe('" padded"');
    expect(csvField(undefined)).toBe('');
    expect(csvField(3)).toBe('3');
    expect(csvLine(['a', 'b,c', true])).toBe('a,"b,c",true\r\n');
  });

  it('writes history rows with a header, every column in a fixed order', () => {
    const row = failedLaunchRow('NA12878', 'FC, "A"', {
      attempt: 2,
      runId: '7777',
      createdAt: '2026-11-20T10:00:00.000Z',
      failureReason: 'out of memory\nexit 137',
    });

    const text = toCsv({ kind: 'launches', rows: [row] });

    expect(text.split('\r\n')).toEqual([
      'launchId,batchId,batchName,sampleId,workflowId,attempt,current,status,runId,createdAt,updatedAt,finishedAt,failureReason,costUsd,computeUsd,storageUsd,costEstimated,archivedInputs',
      'b1/NA12878,b1,"FC, ""A""",NA12878,1234567,2,true,FAILED,7777,2026-11-20T10:00:00.000Z,,,"out of memory\nexit 137",,,,,',
      '',
    ]);
  });
});

describe('CSV output opened in a spreadsheet', () => {
  it('neutralises text cells a spreadsheet would run as a formula (= + - @ tab CR)', () => {
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvField('+cmd')).toBe(`"'+cmd"`);
    expect(csvField('-2+3')).toBe(`"'-2+3"`);
    expect(csvField('@SUM(A1)')).toBe(`"'@SUM(A1)"`);
    expect(csvField('\t=1')).toBe(`"'\t=1"`);
    expect(csvField('\r=1')).toBe(`"'\r=1"`);
    expect(csvField('a=b')).toBe('a=b');
  });

  it('leaves real numbers alone, negative ones too, but not text that looks like one', () => {
    expect(csvField(-3)).toBe('-3');
    expect(csvField(-0.5)).toBe('-0.5');
    expect(csvField('-3')).toBe(`"'-3"`);
  });

  it('neutralises a batch name and a failure reason in the history export', () => {
    const row = failedLaunchRow('S1', '=1+2', { failureReason: '@import' });
    const [, line] = toCsv({ kind: 'launches', rows: [row] }).split('\r\n');
    expect(line).toBe(`b1/S1,b1,"'=1+2",S1,1234567,1,true,FAILED,,,,,"'@import",,,,,`);
  });
});

describe('time bounds', () => {
  it('reads spans back from now', () => {
    expect(parseTimeBound('24h', NOW, 'since')).toBe('2026-11-19T12:00:00.000Z');
    expect(parseTimeBound('7d', NOW, 'since')).toBe('2026-11-13T12:00:00.000Z');
    expect(parseTimeBound('30m', NOW, 'until')).toBe('2026-11-20T11:30:00.000Z');
    expect(parseTimeBound('2w', NOW, 'since')).toBe('2026-11-06T12:00:00.000Z');
  });

  it('reads a date as the start of its day for --since and its end for --until', () => {
    expect(parseTimeBound('2026-11-02', NOW, 'since')).toBe('2026-11-02T00:00:00.000Z');
    expect(parseTimeBound('2026-11-02', NOW, 'until')).toBe('2026-11-02T23:59:59.999Z');
  });

  it('reads ISO times, a time without a zone as UTC', () => {
    expect(parseTimeBound('2026-11-02T08:30:00Z', NOW, 'since')).toBe('2026-11-02T08:30:00.000Z');
    expect(parseTimeBound('2026-11-02T08:30', NOW, 'since')).toBe('2026-11-02T08:30:00.000Z');
    expect(parseTimeBound('2026-11-02T10:30:00+02:00', NOW, 'since')).toBe('2026-11-02T08:30:00.000Z');
  });

  it('refuses anything else as a usage error', () => {
    expect(() => parseTimeBound('yesterday', NOW, 'since')).toThrow(CliError);
    try {
      parseTimeBound('3 days', NOW, 'until');
    } catch (error) {
      expect((error as CliError).exitCode).toBe(EXIT.usage);
      expect((error as CliError).message).toMatch(/^--until "3 days": expected an ISO date/);
    }
  });
});

describe('launch ids', () => {
  it('splits at the last slash, so a batch name may hold one', () => {
    expect(splitLaunchRef('3f2a9c0e1d2b3a4f5e6d/NA12878')).toEqual({
      batchRef: '3f2a9c0e1d2b3a4f5e6d',
      sampleId: 'NA12878',
    });
    expect(splitLaunchRef('run 42/lane 1/S1')).toEqual({ batchRef: 'run 42/lane 1', sampleId: 'S1' });
  });

  it('refuses something that is not a launch id, with the expected shape', () => {
    expect(() => splitLaunchRef('NA12878')).toThrow(/a launch id is <batchId>\/<sampleId>/);
    expect(() => splitLaunchRef('b1/')).toThrow(CliError);
  });
});

describe('status', () => {
  it.each<[BatchStatus, number]>([
    ['ACTIVE', 0],
    ['QC_RUNNING', 0],
    ['COMPLETED', 0],
    ['COMPLETED_WITH_FAILURES', 4],
    ['FAILED', 4],
    ['REJECTED', 4],
  ])('exits for a %s batch with %i', (status, code) => {
    expect(statusExitCode(aBatch({ status }))).toBe(code);
  });

  it('summarises counts and lists launches, QC last', () => {
    const batch = aBatch({
      status: 'COMPLETED_WITH_FAILURES',
      counts: { ...NO_COUNTS, succeeded: 1, failed: 1 },
      qcState: 'SKIPPED',
      qcReason: '1 of 2 samples failed',
      notificationState: 'SENT',
      notifiedRound: 1,
      notificationAt: '2026-11-20T10:06:00.000Z',
    });
    const launches = [
      aLaunch({
        launchId: 'b1/S2',
        sampleId: 'S2',
        status: 'FAILED',
        runId: '102',
        failureReason: 'bad lane',
      }),
      aLaunch({ launchId: 'b1/_qc', sampleId: '_qc', kind: 'QC', status: 'QUEUED' }),
      aLaunch({ launchId: 'b1/S1', sampleId: 'S1', status: 'COMPLETED', runId: '101' }),
    ];

    const lines = renderStatus(batch, launches, plain);

    expect(lines.slice(0, 9)).toEqual([
      'Batch HK3H3BBXY  b1',
      '  status        COMPLETED_WITH_FAILURES',
      `  samples       2: ${progressBar(2, 2, 20)} finished (1 succeeded, 1 failed)`,
      '  launches      COMPLETED 1  FAILED 1',
      '  QC            SKIPPED (1 of 2 samples failed)',
      '  notification  SENT (round 1) at 2026-11-20T10:06:00Z',
      '  cost          pricing… (0 of 2 runs priced)',
      '  source        s3://gwm-manifests/manifests/HK3H3BBXY.json',
      '  created       2026-11-20T10:00:00Z   updated 2026-11-20T10:05:00Z',
    ]);
    const table = lines.slice(9).join('\n');
    expect(table).toMatch(/S1 .*COMPLETED .*101/);
    expect(table).toMatch(/S2 .*FAILED .*102 .*bad lane/);
    expect(table).toMatch(/QC .*QUEUED/);
    expect(table.indexOf('S1')).toBeLessThan(table.indexOf('S2'));
    expect(table.indexOf('S2')).toBeLessThan(table.indexOf('QC'));
  });

  it('lists the problems of a rejected manifest instead of launches', () => {
    const batch = aBatch({
      status: 'REJECTED',
      problems: [{ path: '$.samples[0].id', code: 'SCHEMA', message: 'bad id' }],
      problemCount: 1,
    });

    expect(renderStatus(batch, [], plain).slice(-2)).toEqual([
      'The manifest was rejected with 1 problem(s):',
      '  $.samples[0].id  SCHEMA  bad id',
    ]);
  });

  it('draws a progress bar and times to the second', () => {
    expect(progressBar(3, 12, 12)).toBe('[███░░░░░░░░░] 3/12');
    expect(progressBar(0, 0, 4)).toBe('[░░░░] 0/0');
    expect(formatTime('2026-11-20T10:00:03.123Z')).toBe('2026-11-20T10:00:03Z');
  });
});
