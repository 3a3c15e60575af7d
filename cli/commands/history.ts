import type { Command } from 'commander';
import { isTerminal, LAUNCH_STATUSES, type LaunchStatus } from '../../domain/launch.js';
import { normalizeWorkflowId } from '../../domain/manifest/index.js';
import { formatUsd } from '../../domain/money.js';
import type { TimeRange } from '../../domain/ports.js';
import {
  type BatchRow,
  type HistoryResult,
  queryHistory as historyOf,
  type LaunchRow,
} from '../../domain/use-cases/history.js';
import type { CliContext } from '../context.js';
import { missingPriceNote, NO_RUN, PRICING } from '../cost-format.js';
import { notFoundError, usageError } from '../exit-codes.js';
import {
  colorStatus,
  csvLine,
  formatTime,
  json,
  makeTable,
  parsePositiveInt,
  parseTimeBound,
  tasksText,
  truncate,
} from '../format.js';
import { resolveBatch } from '../resolve.js';

export type { BatchRow, HistoryResult, LaunchRow };

import type { Target } from '../target.js';

interface HistoryOptions {
  batch?: string;
  sample?: string;
  workflow?: string;
  status?: string;
  team?: string;
  since?: string;
  until?: string;
  limit: string;
  json?: boolean;
  csv?: boolean;
}

export interface HistoryQuery {
  batch?: string;
  sample?: string;
  workflow?: string;
  status?: LaunchStatus;
  team?: string;
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
    .option('--team <team>', "a team's launches (docs/teams.md)")
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
workflow index (by creation time), --status the status index (by last update), --team the team
index (by creation time), none: recent batches (by creation time). Other filters given with these
are applied to the rows read. --since/--until apply to --workflow, --status, --team and recent
batches.`,
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
          team: options.team?.trim(),
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

/** Resolves a batch name and a workflow profile name to ids, then asks the history use case. */
export async function queryHistory(target: Target, query: HistoryQuery): Promise<HistoryResult> {
  const workflowId =
    query.workflow === undefined ? undefined : await resolveWorkflowId(target, query.workflow);
  const batchId = query.batch === undefined ? undefined : (await resolveBatch(target, query.batch)).batchId;
  return historyOf(target, {
    batchId,
    sampleId: query.sample,
    workflowId,
    status: query.status,
    team: query.team,
    range: query.range,
    limit: query.limit,
  });
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
  'costUsd',
  'computeUsd',
  'storageUsd',
  'costEstimated',
  'archivedInputs',
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
  'costUsd',
  'computeUsd',
  'storageUsd',
  'costEstimated',
  'runsPriced',
  'estimateUsd',
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

export function renderHistory(result: HistoryResult, ctx: Pick<CliContext, 'colors'>): string {
  const { colors } = ctx;
  if (result.rows.length === 0) return 'Nothing matches.\n';
  // The team column, once there is more than the default team to tell apart.
  const teams = new Set(result.rows.map((row) => row.team ?? ''));
  const team = teams.size > 1 || (teams.size === 1 && !teams.has('default') && !teams.has(''));
  if (result.kind === 'batches') {
    const estimates = result.rows.some((row) => row.estimateUsd !== undefined);
    const table = makeTable(
      [
        'created',
        'batch',
        ...(team ? ['team'] : []),
        'name',
        'status',
        'samples',
        'ok',
        'failed',
        'QC',
        'cost',
        ...(estimates ? ['estimate'] : []),
      ],
      colors,
    );
    for (const row of result.rows) {
      table.push([
        formatTime(row.createdAt),
        row.batchId,
        ...(team
          ? [`${row.team ?? ''}${row.priority && row.priority !== 'normal' ? ` (${row.priority})` : ''}`]
          : []),
        truncate(row.name, 40),
        colorStatus(row.status, colors),
        String(row.sampleCount),
        String(row.succeeded),
        String(row.failed),
        row.qcState,
        row.costUsd === undefined ? '' : formatUsd(row.costUsd, { missingPrice: row.costEstimated }),
        ...(estimates ? [row.estimateUsd === undefined ? '' : formatUsd(row.estimateUsd)] : []),
      ]);
    }
    return `${table.toString()}\n${missingNote(result.rows)}${result.rows.length} batch(es)\n`;
  }
  // A sample's earlier attempts keep no creation time: the column is left out when no row has one.
  const created = result.rows.some((row) => row.createdAt !== undefined);
  // How many tasks came from a run cache, when any did.
  const tasks = result.rows.some((row) => (row.cachedTaskCount ?? 0) > 0);
  const table = makeTable(
    [
      ...(created ? ['created'] : []),
      ...(team ? ['team'] : []),
      'batch',
      'sample',
      'workflow',
      'attempt',
      'status',
      'run id',
      'finished',
      'cost',
      ...(tasks ? ['tasks'] : []),
      'reason',
    ],
    colors,
  );
  for (const row of result.rows) {
    table.push([
      ...(created ? [formatTime(row.createdAt)] : []),
      ...(team ? [row.team ?? ''] : []),
      truncate(row.batchName, 24),
      row.sampleId,
      row.workflowId,
      `${row.attempt}${row.current ? '' : ' (earlier)'}`,
      colorStatus(row.status, colors),
      row.runId ?? '',
      formatTime(row.finishedAt),
      launchCostCell(row),
      ...(tasks ? [tasksText(row.taskCount, row.cachedTaskCount)] : []),
      truncate(
        row.failureReason ?? (row.status === 'WAITING_FOR_INPUTS' ? row.archivedInputs : undefined),
        50,
      ),
    ]);
  }
  return `${table.toString()}\n${missingNote(result.rows)}${result.rows.length} launch(es)\n`;
}

/** One attempt's cost: `pricing…` after its run finished until the cost is written, `—` with no run. */
function launchCostCell(row: LaunchRow): string {
  if (row.costUsd !== undefined) return formatUsd(row.costUsd, { missingPrice: row.costEstimated });
  if (row.costPending) return PRICING;
  return row.runId === undefined && isTerminal(row.status) ? NO_RUN : '';
}

function missingNote(rows: ReadonlyArray<{ costEstimated?: boolean }>): string {
  return rows.some((row) => row.costEstimated) ? `${missingPriceNote()}\n` : '';
}
