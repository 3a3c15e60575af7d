import type { Command } from 'commander';
import type { Batch } from '../../domain/batch.js';
import { LAUNCH_STATUSES, type Launch, type LaunchStatus } from '../../domain/launch.js';
import { normalizeWorkflowId } from '../../domain/manifest/index.js';
import type { Page, TimeRange } from '../../domain/ports.js';
import { type SampleAttempt, sampleAttempts } from '../../domain/use-cases/history.js';
import type { CliContext } from '../context.js';
import { notFoundError, usageError } from '../exit-codes.js';
import {
  colorStatus,
  csvLine,
  formatTime,
  json,
  makeTable,
  parsePositiveInt,
  parseTimeBound,
  truncate,
} from '../format.js';
import { resolveBatch } from '../resolve.js';
import type { Target } from '../target.js';

interface HistoryOptions {
  batch?: string;
  sample?: string;
  workflow?: string;
  status?: string;
  since?: string;
  until?: string;
  limit: string;
  json?: boolean;
  csv?: boolean;
}

/** One engine run of a sample (the current attempt of a launch, or an earlier one). */
export interface LaunchRow {
  batchId: string;
  batchName: string;
  sampleId: string;
  launchId: string;
  workflowId: string;
  attempt: number;
  status: LaunchStatus;
  current: boolean;
  runId?: string;
  createdAt?: string;
  updatedAt?: string;
  finishedAt?: string;
  failureReason?: string;
}

export interface BatchRow {
  batchId: string;
  name: string;
  status: string;
  sampleCount: number;
  succeeded: number;
  failed: number;
  qcState: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

export type HistoryResult = { kind: 'launches'; rows: LaunchRow[] } | { kind: 'batches'; rows: BatchRow[] };

export interface HistoryQuery {
  batch?: string;
  sample?: string;
  workflow?: string;
  status?: LaunchStatus;
  range: TimeRange;
  limit: number;
}

export function registerHistory(program: Command, ctx: CliContext): void {
  program
    .command('history')
    .description(
      'List past launches (of a batch, a sample, a workflow, or in a status) or, without a filter, recent batches',
    )
    .option('--batch <batch>', "a batch's launches (id, or a name only one recent batch has)")
    .option('--sample <sampleId>', 'every run a sample had, across batches, earlier attempts included')
    .option('--workflow <id>', 'launches of a workflow: its numeric id, its ARN or a profile name')
    .option('--status <status>', `launches in a status (${LAUNCH_STATUSES.join(', ')})`)
    .option(
      '--since <time>',
      'from this time: an ISO date or time, or a span back from now (30m, 24h, 7d, 2w)',
    )
    .option('--until <time>', 'up to this time (same forms; a date alone includes its whole day)')
    .option('--limit <n>', 'at most this many rows (pages are followed until then)', '100')
    .option('--json', 'print the rows as JSON')
    .option('--csv', 'print the rows as CSV (RFC 4180)')
    .addHelpText(
      'after',
      `
Which index answers: --batch the table's batch partition, --sample the sample index, --workflow the
workflow index (by creation time), --status the status index (by last update), none: recent batches
(by creation time). Other filters given with these are applied to the rows read. --since/--until
apply to --workflow, --status and recent batches.`,
    )
    .action(
      ctx.action(async (options: HistoryOptions, command: Command) => {
        if (options.json && options.csv) throw usageError('choose one of --json and --csv');
        const now = ctx.io.now();
        const query: HistoryQuery = {
          batch: options.batch,
          sample: options.sample,
          workflow: options.workflow,
          status: options.status === undefined ? undefined : parseStatus(options.status),
          range: {
            ...(options.since !== undefined && { from: parseTimeBound(options.since, now, 'since') }),
            ...(options.until !== undefined && { to: parseTimeBound(options.until, now, 'until') }),
          },
          limit: parsePositiveInt(options.limit, '--limit'),
        };
        if (
          (query.batch !== undefined || query.sample !== undefined) &&
          (query.range.from || query.range.to)
        ) {
          throw usageError(
            '--since/--until select launches of a workflow or in a status, and recent batches; a batch or a sample is listed whole',
          );
        }
        const target = await ctx.target(command);
        const result = await queryHistory(target, query);
        if (options.json) ctx.io.stdout(json(result.rows));
        else if (options.csv) ctx.io.stdout(toCsv(result));
        else ctx.io.stdout(renderHistory(result, ctx));
        return undefined;
      }),
    );
}

function parseStatus(value: string): LaunchStatus {
  const status = value.trim().toUpperCase();
  const known = LAUNCH_STATUSES.find((candidate) => candidate === status);
  if (known === undefined) {
    throw usageError(`--status ${JSON.stringify(value)}: expected one of ${LAUNCH_STATUSES.join(', ')}`);
  }
  return known;
}

/**
 * The filter an index can answer picks the query (batch, then sample, then workflow, then status);
 * the other filters are applied to what it returns, page after page, until `limit` rows match.
 */
export async function queryHistory(target: Target, query: HistoryQuery): Promise<HistoryResult> {
  const workflowId =
    query.workflow === undefined ? undefined : await resolveWorkflowId(target, query.workflow);
  const keep = (row: LaunchRow) =>
    (query.sample === undefined || row.sampleId === query.sample) &&
    (workflowId === undefined || row.workflowId === workflowId) &&
    (query.status === undefined || row.status === query.status);

  if (query.batch !== undefined) {
    const batch = await resolveBatch(target, query.batch);
    const rows = await collect(
      (cursor, limit) => target.launches.listByBatch(batch.batchId, { cursor, limit, status: query.status }),
      (launch: Launch) => [currentRow(launch)],
      keep,
      query.limit,
    );
    return { kind: 'launches', rows };
  }
  if (query.sample !== undefined) {
    const sampleId = query.sample;
    const rows = await collect(
      (cursor, limit) => sampleAttempts(target, sampleId, { cursor, limit }),
      (attempt: SampleAttempt) => [attemptRow(attempt)],
      keep,
      query.limit,
    );
    return { kind: 'launches', rows };
  }
  if (workflowId !== undefined) {
    const id = workflowId;
    const rows = await collect(
      (cursor, limit) => target.launches.listByWorkflow(id, query.range, { cursor, limit }),
      (launch: Launch) => [currentRow(launch)],
      keep,
      query.limit,
    );
    return { kind: 'launches', rows };
  }
  if (query.status !== undefined) {
    const status = query.status;
    const rows = await collect(
      (cursor, limit) => target.launches.listByStatus(status, query.range, { cursor, limit }),
      (launch: Launch) => [currentRow(launch)],
      keep,
      query.limit,
    );
    return { kind: 'launches', rows };
  }
  const rows = await collect(
    (cursor, limit) => target.batches.listRecent(query.range, { cursor, limit }),
    (batch: Batch) => [batchRow(batch)],
    () => true,
    query.limit,
  );
  return { kind: 'batches', rows };
}

/** A numeric id or ARN as it is; anything else names a workflow profile. */
async function resolveWorkflowId(target: Target, value: string): Promise<string> {
  const id = normalizeWorkflowId(value.trim());
  if (id !== undefined) return id;
  const profile = await target.profiles.get(value.trim());
  if (!profile) {
    throw notFoundError(
      `--workflow ${JSON.stringify(value)} is neither a workflow id nor a workflow profile`,
    );
  }
  return profile.workflow.id;
}

const PAGE = 100;

async function collect<T, R>(
  fetch: (cursor: string | undefined, limit: number) => Promise<Page<T>>,
  toRows: (item: T) => R[],
  keep: (row: R) => boolean,
  limit: number,
): Promise<R[]> {
  const rows: R[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetch(cursor, Math.min(PAGE, Math.max(limit - rows.length, 1)));
    for (const item of page.items) {
      for (const row of toRows(item)) if (keep(row) && rows.length < limit) rows.push(row);
    }
    cursor = page.cursor;
  } while (cursor && rows.length < limit);
  return rows;
}

function currentRow(launch: Launch): LaunchRow {
  return {
    batchId: launch.batchId,
    batchName: launch.batchName,
    sampleId: launch.kind === 'QC' ? 'QC' : launch.sampleId,
    launchId: launch.launchId,
    workflowId: launch.workflowId,
    attempt: launch.attempt,
    status: launch.status,
    current: true,
    runId: launch.runId,
    createdAt: launch.createdAt,
    updatedAt: launch.updatedAt,
    finishedAt: launch.finishedAt,
    failureReason: launch.failureReason,
  };
}

function attemptRow(attempt: SampleAttempt): LaunchRow {
  return {
    batchId: attempt.batchId,
    batchName: attempt.batchName,
    sampleId: attempt.sampleId,
    launchId: attempt.launchId,
    workflowId: attempt.workflowId,
    attempt: attempt.attempt,
    status: attempt.status,
    current: attempt.current,
    runId: attempt.runId,
    finishedAt: attempt.finishedAt,
    failureReason: attempt.failureReason,
  };
}

function batchRow(batch: Batch): BatchRow {
  return {
    batchId: batch.batchId,
    name: batch.name,
    status: batch.status,
    sampleCount: batch.sampleCount,
    succeeded: batch.counts.succeeded,
    failed: batch.counts.failed + batch.counts.cancelled + batch.counts.launchFailed + batch.counts.deleted,
    qcState: batch.qcState,
    createdAt: batch.createdAt,
    updatedAt: batch.updatedAt,
    finishedAt: batch.finishedAt,
  };
}

export const LAUNCH_COLUMNS = [
  'launchId',
  'batchId',
  'batchName',
  'sampleId',
  'workflowId',
  'attempt',
  'current',
  'status',
  'runId',
  'createdAt',
  'updatedAt',
  'finishedAt',
  'failureReason',
] as const satisfies readonly (keyof LaunchRow)[];

export const BATCH_COLUMNS = [
  'batchId',
  'name',
  'status',
  'sampleCount',
  'succeeded',
  'failed',
  'qcState',
  'createdAt',
  'updatedAt',
  'finishedAt',
] as const satisfies readonly (keyof BatchRow)[];

export function toCsv(result: HistoryResult): string {
  if (result.kind === 'batches') {
    return [
      csvLine(BATCH_COLUMNS),
      ...result.rows.map((row) => csvLine(BATCH_COLUMNS.map((key) => row[key]))),
    ].join('');
  }
  return [
    csvLine(LAUNCH_COLUMNS),
    ...result.rows.map((row) => csvLine(LAUNCH_COLUMNS.map((key) => row[key]))),
  ].join('');
}

function renderHistory(result: HistoryResult, ctx: CliContext): string {
  const { colors } = ctx;
  if (result.rows.length === 0) return 'Nothing matches.\n';
  if (result.kind === 'batches') {
    const table = makeTable(['created', 'batch', 'name', 'status', 'samples', 'ok', 'failed', 'QC'], colors);
    for (const row of result.rows) {
      table.push([
        formatTime(row.createdAt),
        row.batchId,
        truncate(row.name, 40),
        colorStatus(row.status, colors),
        String(row.sampleCount),
        String(row.succeeded),
        String(row.failed),
        row.qcState,
      ]);
    }
    return `${table.toString()}\n${result.rows.length} batch(es)\n`;
  }
  // A sample's earlier attempts keep no creation time: the column is left out when no row has one.
  const created = result.rows.some((row) => row.createdAt !== undefined);
  const table = makeTable(
    [
      ...(created ? ['created'] : []),
      'batch',
      'sample',
      'workflow',
      'attempt',
      'status',
      'run id',
      'finished',
      'reason',
    ],
    colors,
  );
  for (const row of result.rows) {
    table.push([
      ...(created ? [formatTime(row.createdAt)] : []),
      truncate(row.batchName, 24),
      row.sampleId,
      row.workflowId,
      `${row.attempt}${row.current ? '' : ' (earlier)'}`,
      colorStatus(row.status, colors),
      row.runId ?? '',
      formatTime(row.finishedAt),
      truncate(row.failureReason, 50),
    ]);
  }
  return `${table.toString()}\n${result.rows.length} launch(es)\n`;
}
