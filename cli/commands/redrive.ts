import type { Command } from 'commander';
import { type RedriveResult, redriveLaunches } from '../../domain/use-cases/redrive-launches.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import { json } from '../format.js';
import { allLaunches, resolveBatch } from '../resolve.js';
import { STREAM_CONSUMERS, type StreamConsumer, type StreamFailure } from '../stream-failures.js';
import type { Target } from '../target.js';

interface RedriveOptions {
  batch?: string;
  dryRun?: boolean;
  json?: boolean;
}

/** Launches between two progress lines on a long re-drive. */
const PROGRESS_EVERY = 500;

export function registerRedrive(program: Command, ctx: CliContext): void {
  program
    .command('redrive')
    .description(
      "Re-drive the launches of a stream consumer's failure records (launcher, completion), or every launch of a batch, so the table's stream delivers them again",
    )
    .argument('[consumer]', `whose failure records: ${STREAM_CONSUMERS.join(' or ')}`)
    .option(
      '--batch <batch>',
      'every launch of a batch (id, or a name only one recent batch has): recounts it',
    )
    .option('--dry-run', 'list the launches the failure records name, change nothing')
    .option('--json', 'print what was done as JSON')
    .addHelpText(
      'after',
      `
A stream consumer that gives up on a record (its retries ran out, or the record grew too old)
sends a failure record: on AWS a message in its failure queue naming the records, on the embedded
runtime a line in <state>/dead-letters/<consumer>.jsonl holding the record. \`gwm redrive launcher\`
reads them, rewrites each launch they name (same status, next revision) so the stream delivers it
again, and removes the failure records it handled. Every consumer handles a launch delivered twice
once, so a launch that had in fact been handled is left as it was.

  waiting (QUEUED, THROTTLED) or a request (RETRY, CANCEL)  the launcher takes it again
  finished (COMPLETED, FAILED, ...)                         the aggregator counts it
                                                             (once) and moves its batch on: QC, notice
  on its way to a run, or running                           left to the tracker and reconciler

On AWS the records are read back from the table's stream, which keeps them 24 hours: older failure
records are kept in the queue and reported; recount their batches with \`gwm redrive --batch <id>\`.
Fix the cause in the consumer's log first, or the records fail again.`,
    )
    .action(
      ctx.action(async (consumer: string | undefined, options: RedriveOptions, command: Command) => {
        if (options.batch !== undefined) {
          if (consumer !== undefined) throw usageError('give a consumer, or --batch <batch>, not both');
          return redriveBatch(ctx, await ctx.target(command), options.batch, options);
        }
        if (consumer === undefined) {
          throw usageError(`name a consumer (${STREAM_CONSUMERS.join(', ')}), or use --batch <batch>`);
        }
        if (!(STREAM_CONSUMERS as readonly string[]).includes(consumer)) {
          throw usageError(`unknown consumer ${consumer}: use ${STREAM_CONSUMERS.join(' or ')}`);
        }
        return redriveFailures(ctx, await ctx.target(command), consumer as StreamConsumer, options);
      }),
    );
}

async function redriveFailures(
  ctx: CliContext,
  target: Target,
  consumer: StreamConsumer,
  options: RedriveOptions,
): Promise<number> {
  const source = target.streamFailures(consumer);
  const failures = await source.take();
  try {
    const readable = failures.filter((failure) => failure.unreadable === undefined);
    const unreadable = failures.filter((failure) => failure.unreadable !== undefined);
    const keys = readable.flatMap((failure) => failure.launches);
    if (options.dryRun) {
      report(ctx, options, { consumer, where: source.description, failures, results: [], dryRun: true });
      return EXIT.ok;
    }
    const results = await redriveLaunches(
      { launches: target.launches, now: () => ctx.io.now() },
      keys,
      `its stream record reached the ${consumer}'s failure records; rewritten so the stream delivers it again`,
      progress(ctx, options, keys.length),
    );
    await source.settle(readable);
    report(ctx, options, { consumer, where: source.description, failures, results, dryRun: false });
    return unreadable.length > 0 ? EXIT.unexpected : EXIT.ok;
  } finally {
    await source.release();
  }
}

async function redriveBatch(
  ctx: CliContext,
  target: Target,
  ref: string,
  options: RedriveOptions,
): Promise<number> {
  const batch = await resolveBatch(target, ref);
  const launches = await allLaunches(target, batch.batchId);
  if (launches.length === 0) {
    throw new CliError(
      EXIT.notFound,
      'NO_LAUNCHES',
      `batch ${batch.name} (${batch.batchId}) has no launches`,
    );
  }
  const keys = launches.map(({ batchId, launchId }) => ({ batchId, launchId }));
  if (options.dryRun) {
    if (options.json) ctx.io.stdout(json({ batchId: batch.batchId, launches: keys, dryRun: true }));
    else ctx.out(`Would re-drive ${keys.length} launch(es) of batch ${batch.name} (${batch.batchId}).`);
    return EXIT.ok;
  }
  const results = await redriveLaunches(
    { launches: target.launches, now: () => ctx.io.now() },
    keys,
    'its batch was recounted (gwm redrive --batch); rewritten so the stream delivers it again',
    progress(ctx, options, keys.length),
  );
  if (options.json) {
    ctx.io.stdout(json({ batchId: batch.batchId, results }));
    return EXIT.ok;
  }
  ctx.out(`Batch ${batch.name} (${batch.batchId}): ${summary(results)}.`);
  ctx.out('');
  ctx.out('What happens next:');
  ctx.out('  - the aggregator counts each finished launch not counted yet, then moves the batch on');
  ctx.out('    (QC, finish, notice), each once; waiting launches go to the launcher again');
  ctx.out(`  - follow it with: gwm status ${batch.batchId} --watch`);
  return EXIT.ok;
}

function progress(ctx: CliContext, options: RedriveOptions, total: number): (result: RedriveResult) => void {
  let done = 0;
  return () => {
    done++;
    if (!options.json && total > PROGRESS_EVERY && done % PROGRESS_EVERY === 0) {
      ctx.err(`  ${done} of ${total} launches re-driven...`);
    }
  };
}

function summary(results: readonly RedriveResult[]): string {
  const count = (action: RedriveResult['action']) => results.filter((r) => r.action === action).length;
  return [
    `${count('redriven')} launch(es) re-driven`,
    `${count('in-flight')} on their way to a run or running (left to the tracker and the reconciler)`,
    `${count('gone')} no longer in the table`,
  ].join(', ');
}

function report(
  ctx: CliContext,
  options: RedriveOptions,
  outcome: {
    consumer: StreamConsumer;
    where: string;
    failures: readonly StreamFailure[];
    results: readonly RedriveResult[];
    dryRun: boolean;
  },
): void {
  const { consumer, where, failures, results, dryRun } = outcome;
  const unreadable = failures.filter((failure) => failure.unreadable !== undefined);
  if (options.json) {
    ctx.io.stdout(json({ consumer, where, dryRun, failures, results }));
    return;
  }
  if (failures.length === 0) {
    ctx.out(`No failure records for the ${consumer} in ${where}: nothing to re-drive.`);
    return;
  }
  for (const failure of failures) {
    const launches = failure.launches.map((launch) => launch.launchId).join(', ') || '(no launch)';
    const why = failure.reason ? ` — ${failure.reason}` : '';
    ctx.out(
      `  ${failure.id}${failure.at ? ` at ${failure.at}` : ''}${why}: ${failure.unreadable ?? launches}`,
    );
  }
  const handled = failures.length - unreadable.length;
  if (dryRun) {
    ctx.out(
      `${failures.length} failure record(s) of the ${consumer} in ${where}; nothing was changed (--dry-run).`,
    );
    return;
  }
  ctx.out('');
  for (const result of results) ctx.out(`  ${result.launchId}  ${result.status ?? '-'}  ${result.action}`);
  ctx.out(`${summary(results)}; ${handled} failure record(s) removed from ${where}.`);
  if (unreadable.length > 0) {
    ctx.err(
      `${unreadable.length} failure record(s) could not be read and were kept: recount their batches with gwm redrive --batch <batch>, then delete them.`,
    );
  }
}
