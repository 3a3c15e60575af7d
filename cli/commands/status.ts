import type { Command } from 'commander';
import type { Batch } from '../../domain/batch.js';
import { archivedInputsSummary } from '../../domain/inputs/restore.js';
import { isTerminal, LAUNCH_STATUSES, type Launch } from '../../domain/launch.js';
import { batchCostView, launchRuns } from '../../domain/launch-cost.js';
import type { CliContext } from '../context.js';
import {
  batchCostText,
  batchEstimateText,
  budgetText,
  costCell,
  costDocument,
  missingPriceNote,
} from '../cost-format.js';
import { EXIT, notFoundError } from '../exit-codes.js';
import {
  colorStatus,
  FINISHED_BATCH_STATUSES,
  formatTime,
  json,
  makeTable,
  parsePositiveInt,
  progressBar,
  tasksText,
  truncate,
} from '../format.js';
import type { Colors } from '../io.js';
import { allLaunches, resolveBatch } from '../resolve.js';
import type { Target } from '../target.js';

interface StatusOptions {
  watch?: boolean;
  json?: boolean;
  interval: string;
}

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('Show a batch: its status, counts, QC and notification, and a table of its launches')
    .argument('<batch>', 'batch id, or a batch name that only one recent batch has')
    .option('-w, --watch', 'redraw every few seconds until the batch has finished')
    .option('--json', 'print the batch and its launches as JSON')
    .option('--interval <seconds>', 'seconds between polls with --watch', '2')
    .addHelpText(
      'after',
      '\nExit status: 0 when the batch COMPLETED or is still running, 4 when it finished with failures\n(COMPLETED_WITH_FAILURES, FAILED, REJECTED), 3 when there is no such batch.',
    )
    .action(
      ctx.action(async (ref: string, options: StatusOptions, command: Command) => {
        const intervalMs = parsePositiveInt(options.interval, '--interval') * 1000;
        const target = await ctx.target(command);
        const batch = await resolveBatch(target, ref);
        if (options.watch) {
          return watchBatch(ctx, target, batch.batchId, { intervalMs, json: options.json === true });
        }
        const launches = await allLaunches(target, batch.batchId);
        if (options.json) ctx.io.stdout(json(statusDocument(batch, launches)));
        else ctx.io.stdout(`${renderStatus(batch, launches, ctx.colors).join('\n')}\n`);
        return statusExitCode(batch);
      }),
    );
}

/** 4 once the batch has finished with failures; 0 otherwise (also while it runs). */
export function statusExitCode(batch: Batch): number {
  if (!FINISHED_BATCH_STATUSES.has(batch.status) || batch.status === 'COMPLETED') return EXIT.ok;
  return EXIT.batchFailed;
}

export function statusDocument(batch: Batch, launches: readonly Launch[]) {
  return {
    batch,
    launchCounts: countByStatus(launches.filter((launch) => launch.kind === 'SAMPLE')),
    cost: costDocument(batch, launches),
    launches: sortLaunches(launches),
  };
}

/** Launches per status, in the order of the launch lifecycle. */
function countByStatus(launches: readonly Launch[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const status of LAUNCH_STATUSES) {
    const count = launches.filter((launch) => launch.status === status).length;
    if (count > 0) counts[status] = count;
  }
  return counts;
}

function sortLaunches(launches: readonly Launch[]): Launch[] {
  return [...launches].sort((a, b) =>
    a.kind === b.kind ? a.sampleId.localeCompare(b.sampleId) : a.kind === 'QC' ? 1 : -1,
  );
}

const label = (launch: Launch) => (launch.kind === 'QC' ? 'QC' : launch.sampleId);

/** The lines of `gwm status`: a summary, then the launches (at most `maxLaunches` of them). */
export function renderStatus(
  batch: Batch,
  launches: readonly Launch[],
  colors: Colors,
  maxLaunches = Number.POSITIVE_INFINITY,
): string[] {
  const samples = launches.filter((launch) => launch.kind === 'SAMPLE');
  const { succeeded, failed, cancelled, launchFailed, deleted } = batch.counts;
  const finished = succeeded + failed + cancelled + launchFailed + deleted;
  const outcome = [
    succeeded && `${succeeded} succeeded`,
    failed && `${failed} failed`,
    cancelled && `${cancelled} cancelled`,
    launchFailed && `${launchFailed} failed to launch`,
    deleted && `${deleted} deleted`,
  ].filter(Boolean);
  const byStatus = Object.entries(countByStatus(samples))
    .map(([status, count]) => `${colorStatus(status, colors)} ${count}`)
    .join('  ');
  const notification = batch.notificationState
    ? `${batch.notificationState} (round ${batch.notifiedRound})${batch.notificationAt ? ` at ${formatTime(batch.notificationAt)}` : ''}`
    : 'not sent yet';
  const lines = [
    `${colors.bold(`Batch ${batch.name}`)}  ${batch.batchId}`,
    `  status        ${colorStatus(batch.status, colors)}${batch.round > 1 ? ` (round ${batch.round})` : ''}`,
    `  samples       ${batch.sampleCount}: ${progressBar(finished, batch.sampleCount, 20)} finished${outcome.length > 0 ? ` (${outcome.join(', ')})` : ''}`,
  ];
  if (batch.team !== undefined) {
    const uploader = batch.submittedBy ? `, uploaded by ${batch.submittedBy}` : '';
    lines.push(`  team          ${batch.team} (priority ${batch.priority ?? 'normal'}${uploader})`);
  }
  if (samples.length > 0) lines.push(`  launches      ${byStatus}`);
  lines.push(
    `  QC            ${batch.qcState}${batch.qcReason ? ` (${batch.qcReason})` : ''}`,
    `  notification  ${notification}`,
  );
  if (batch.status !== 'REJECTED') lines.push(...costLines(batch, launches));
  lines.push(
    `  source        ${batch.sourceUri}`,
    `  created       ${formatTime(batch.createdAt)}   updated ${formatTime(batch.updatedAt)}`,
  );

  if (batch.status === 'REJECTED') {
    const problems = batch.problems ?? [];
    lines.push(
      '',
      colors.red(`The manifest was rejected with ${batch.problemCount ?? problems.length} problem(s):`),
    );
    for (const problem of problems) lines.push(`  ${problem.path}  ${problem.code}  ${problem.message}`);
    const more = (batch.problemCount ?? problems.length) - problems.length;
    if (more > 0) lines.push(`  … and ${more} more`);
    return lines;
  }
  if (launches.length === 0) return [...lines, '', 'No launches yet.'];

  // On a small screen the launches still running and those that failed matter most.
  const interest = (launch: Launch) =>
    !isTerminal(launch.status) ? 0 : launch.status === 'COMPLETED' ? 2 : 1;
  const ordered = sortLaunches(launches);
  const shown =
    ordered.length <= maxLaunches
      ? ordered
      : sortLaunches(
          [...ordered].sort((a, b) => interest(a) - interest(b)).slice(0, Math.max(1, maxLaunches)),
        );
  const tasks = launches.some(usesRunCache);
  const table = makeTable(
    ['sample', 'status', 'attempt', 'run id', 'updated', 'cost', ...(tasks ? ['tasks'] : []), 'reason'],
    colors,
  );
  for (const launch of shown) {
    table.push([
      label(launch),
      colorStatus(launch.status, colors),
      String(launch.attempt),
      launch.runId ?? '',
      formatTime(launch.updatedAt),
      costCell(launch),
      ...(tasks ? [tasksCell(launch)] : []),
      truncate(
        launch.failureReason ??
          (launch.status === 'WAITING_FOR_INPUTS' ? archivedInputsSummary(launch) : undefined) ??
          launch.note ??
          launch.statusMessage,
        60,
      ),
    ]);
  }
  lines.push(...table.toString().split('\n'));
  if (batch.cost && batch.cost.runsEstimated > 0) lines.push(missingPriceNote(batch.cost.runsEstimated));
  if (shown.length < ordered.length) {
    lines.push(
      `… ${ordered.length - shown.length} more launches (gwm status ${batch.batchId} lists them all)`,
    );
  }
  return lines;
}

/** A launch whose runs use a run cache: the table then says how many tasks came from it. */
function usesRunCache(launch: Launch): boolean {
  return (
    launch.runCache !== undefined || launchRuns(launch).some((run) => (run.cost?.cachedTaskCount ?? 0) > 0)
  );
}

/** The current attempt's tasks, once its run is priced: `3 tasks, 2 from the run cache`. */
function tasksCell(launch: Launch): string {
  const cost = launchRuns(launch).find((run) => run.attempt === launch.attempt)?.cost;
  return tasksText(cost?.taskCount, cost?.cachedTaskCount);
}

/** The batch's cost so far, its estimate against it, and its budget. */
function costLines(batch: Batch, launches: readonly Launch[]): string[] {
  const lines = [`  cost          ${batchCostText(batchCostView(batch, launches))}`];
  const estimate = batchEstimateText(batch);
  if (estimate) lines.push(`  estimate      ${estimate}`);
  const budget = budgetText(batch);
  if (budget) lines.push(`  budget        ${budget}`);
  return lines;
}

export interface WatchOptions {
  intervalMs: number;
  json: boolean;
  /** How long a batch may take to appear (right after an upload, the intake has not registered it yet). */
  registrationGraceMs?: number;
  /** With `json`: prints the final document (default: the status document alone). */
  emit?: (status: ReturnType<typeof statusDocument>) => void;
}

/**
 * Polls the batch until it has finished. On a terminal the status is redrawn in place; elsewhere
 * (a log, a pipe) each change is one line; with --json only the final document is printed.
 */
export async function watchBatch(
  ctx: CliContext,
  target: Target,
  batchId: string,
  options: WatchOptions,
): Promise<number> {
  const { io, colors } = ctx;
  const live = io.isTTY && !options.json;
  const deadline = io.now().getTime() + (options.registrationGraceMs ?? 0);
  const seen = new Map<string, string>();
  let drawn = 0;
  let waitingShown = false;

  for (;;) {
    const batch = await target.batches.get(batchId);
    if (!batch) {
      if (io.now().getTime() >= deadline) {
        throw notFoundError(`batch ${batchId} was not registered (in ${target.description})`);
      }
      if (!waitingShown && !options.json) ctx.out(`Waiting for the intake to register batch ${batchId} …`);
      waitingShown = true;
      await io.sleep(Math.min(options.intervalMs, 1_000));
      continue;
    }
    const launches = await allLaunches(target, batchId);
    const finished = FINISHED_BATCH_STATUSES.has(batch.status);

    if (live) {
      // The summary above the table grows by the cost lines (cost, and estimate and budget when set).
      const summary = 16 + costLines(batch, launches).length;
      const room = finished ? Number.POSITIVE_INFINITY : Math.max(3, (io.rows ?? 40) - summary);
      const lines = renderStatus(batch, launches, colors, room);
      if (!finished) lines.push(colors.dim(`watching; every ${options.intervalMs / 1000} s (Ctrl-C stops)`));
      // Back to where the last drawing started, clear to the end of the screen, draw again.
      if (drawn > 0) io.stdout(`\u001b[${drawn}A\r\u001b[0J`);
      io.stdout(`${lines.join('\n')}\n`);
      drawn = lines.length;
    } else if (!options.json) {
      for (const line of changeLines(batch, launches, seen, io.now())) ctx.out(line);
    }

    if (finished) {
      if (options.json) {
        const document = statusDocument(batch, launches);
        if (options.emit) options.emit(document);
        else io.stdout(json(document));
      } else if (!live) ctx.out(renderStatus(batch, launches, colors).join('\n'));
      return statusExitCode(batch);
    }
    await io.sleep(options.intervalMs);
  }
}

/** One line for each launch whose status (or attempt) changed since the last poll, and for the batch. */
function changeLines(
  batch: Batch,
  launches: readonly Launch[],
  seen: Map<string, string>,
  now: Date,
): string[] {
  const time = formatTime(now.toISOString());
  const lines: string[] = [];
  const { succeeded, failed, cancelled, launchFailed, deleted } = batch.counts;
  const finished = succeeded + failed + cancelled + launchFailed + deleted;
  const batchState = `${batch.status} ${finished}/${batch.sampleCount} qc:${batch.qcState}`;
  if (seen.get('') !== batchState) {
    seen.set('', batchState);
    lines.push(
      `${time}  batch ${batch.name}: ${batch.status}, ${finished}/${batch.sampleCount} samples finished, QC ${batch.qcState}`,
    );
  }
  for (const launch of sortLaunches(launches)) {
    const state = `${launch.status}#${launch.attempt}`;
    if (seen.get(launch.launchId) === state) continue;
    seen.set(launch.launchId, state);
    const attempt = launch.attempt > 1 ? ` (attempt ${launch.attempt})` : '';
    const reason = launch.failureReason ? `: ${truncate(launch.failureReason, 80)}` : '';
    lines.push(`${time}  ${label(launch)}  ${launch.status}${attempt}${reason}`);
  }
  return lines;
}
