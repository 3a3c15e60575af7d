import type { Command } from 'commander';
import type { RunCost } from '../../domain/cost/types.js';
import type { LaunchStatus } from '../../domain/launch.js';
import type { RunLogTail } from '../../domain/ports.js';
import type { CliContext } from '../context.js';
import { EXIT, notFoundError } from '../exit-codes.js';
import { colorStatus, json, parsePositiveInt, tasksText } from '../format.js';
import { resolveLaunch } from '../resolve.js';

interface LogsOptions {
  lines: string;
  attempt?: string;
  json?: boolean;
}

/** One attempt of a launch, as far as its log is concerned. */
interface AttemptView {
  attempt: number;
  current: boolean;
  status: LaunchStatus;
  runId?: string;
  failureReason?: string;
  statusMessage?: string;
  note?: string;
  logLocation?: string;
  /** Stored when the run failed: the last lines of its log at that time. */
  logExcerpt?: string;
  /** The run's tasks and those taken from the run cache, once the run is priced. */
  taskCount?: number;
  cachedTaskCount?: number;
}

export function registerLogs(program: Command, ctx: CliContext): void {
  program
    .command('logs')
    .description("Show a launch's failure reason and stored log excerpt, then the end of its run's log")
    .argument('<launchId>', 'the launch: <batchId>/<sampleId> (<batchId>/qc for the QC run)')
    .option('-n, --lines <n>', 'lines of the live log to show', '50')
    .option('--attempt <n>', 'an earlier attempt (default: the current one)')
    .option('--json', 'print the reason, excerpt and log lines as JSON')
    .action(
      ctx.action(async (ref: string, options: LogsOptions, command: Command) => {
        const lines = parsePositiveInt(options.lines, '--lines');
        const wanted =
          options.attempt === undefined ? undefined : parsePositiveInt(options.attempt, '--attempt');
        const target = await ctx.target(command);
        const launch = await resolveLaunch(target, ref);

        let view: AttemptView;
        if (wanted === undefined || wanted === launch.attempt) {
          view = {
            attempt: launch.attempt,
            current: true,
            status: launch.status,
            runId: launch.runId,
            failureReason: launch.failureReason,
            statusMessage: launch.statusMessage,
            note: launch.note,
            logLocation: launch.logLocation,
            logExcerpt: launch.logExcerpt,
            ...taskCounts(launch.cost?.attempt === launch.attempt ? launch.cost : undefined),
          };
        } else {
          const earlier = launch.attempts.find((attempt) => attempt.attempt === wanted);
          if (!earlier) {
            const known = [...launch.attempts.map((attempt) => attempt.attempt), launch.attempt].join(', ');
            throw notFoundError(`${launch.launchId} has no attempt ${wanted} (attempts kept: ${known})`);
          }
          view = {
            attempt: earlier.attempt,
            current: false,
            status: earlier.status,
            runId: earlier.runId,
            failureReason: earlier.failureReason,
            logLocation: earlier.logLocation,
            ...taskCounts(earlier.cost),
          };
        }

        const tail: RunLogTail | undefined =
          view.runId === undefined ? undefined : await target.logs.tail(view.runId, lines);
        if (options.json) {
          ctx.io.stdout(json({ launchId: launch.launchId, ...view, tail: tail ?? null }));
          return EXIT.ok;
        }

        const { colors } = ctx;
        ctx.out(
          `${colors.bold(launch.launchId)}  attempt ${view.attempt}${view.current ? '' : ` (earlier; current is ${launch.attempt})`}  ${colorStatus(view.status, colors)}`,
        );
        const field = (name: string, value: string | undefined) => {
          if (value) ctx.out(`  ${name.padEnd(15)} ${value}`);
        };
        field('run id', view.runId);
        field('failure reason', view.failureReason);
        field('status message', view.statusMessage);
        field('note', view.note);
        field('log location', view.logLocation);
        field('tasks', tasksText(view.taskCount, view.cachedTaskCount));
        if (view.logExcerpt) {
          ctx.out('');
          ctx.out(colors.bold('Log excerpt stored when the run failed:'));
          for (const line of view.logExcerpt.split('\n')) ctx.out(`  ${line}`);
        }
        ctx.out('');
        if (view.runId === undefined) {
          ctx.out(`No run was started for attempt ${view.attempt}, so there is no run log.`);
          return EXIT.ok;
        }
        if (tail === undefined) {
          ctx.out(`No log can be read for run ${view.runId} here (${target.description}).`);
          return EXIT.ok;
        }
        if (tail.lines.length === 0) {
          ctx.out(`The log of run ${view.runId} is empty or gone (${tail.location}).`);
          return EXIT.ok;
        }
        ctx.out(colors.bold(`Last ${tail.lines.length} line(s) of ${tail.location}:`));
        for (const line of tail.lines) ctx.out(`  ${line}`);
        return EXIT.ok;
      }),
    );
}

function taskCounts(cost: RunCost | undefined): Pick<AttemptView, 'taskCount' | 'cachedTaskCount'> {
  if (cost === undefined) return {};
  return { taskCount: cost.taskCount, cachedTaskCount: cost.cachedTaskCount ?? 0 };
}
