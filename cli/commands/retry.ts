import type { Command } from 'commander';
import type { Batch } from '../../domain/batch.js';
import { type Launch, type LaunchStatus, RETRYABLE_STATUSES } from '../../domain/launch.js';
import { requestRetry } from '../../functions/adapters/console-edit.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import { FINISHED_BATCH_STATUSES, json } from '../format.js';
import { allLaunches, resolveBatch, resolveLaunch } from '../resolve.js';
import type { Target } from '../target.js';

interface RetryOptions {
  batch?: string;
  failed?: boolean;
  json?: boolean;
}

/** What `retry --batch <id> --failed` retries: samples that ended without a result. */
export const FAILED_SAMPLE_STATUSES: ReadonlySet<LaunchStatus> = new Set([
  'FAILED',
  'CANCELLED',
  'LAUNCH_FAILED',
]);

export function registerRetry(program: Command, ctx: CliContext): void {
  program
    .command('retry')
    .description(
      'Retry a launch the way a person does in the DynamoDB console: set its status to RETRY (one attribute)',
    )
    .argument('[launchId]', 'the launch: <batchId>/<sampleId> (<batchId>/qc for the QC run)')
    .option('--batch <batch>', 'with --failed: a batch (id, or a name only one recent batch has)')
    .option('--failed', 'with --batch: every FAILED, CANCELLED or LAUNCH_FAILED sample of the batch')
    .option('--json', 'print what was retried as JSON')
    .addHelpText(
      'after',
      `
Only FAILED, CANCELLED, DELETED and LAUNCH_FAILED launches can be retried (exit status 2 otherwise).
The launcher then starts the next attempt with a new request id and keeps the earlier attempt's
run id, reason and log location in the launch's attempts.`,
    )
    .action(
      ctx.action(async (launchRef: string | undefined, options: RetryOptions, command: Command) => {
        if (options.batch !== undefined || options.failed) {
          if (launchRef !== undefined)
            throw usageError('give a launch id, or --batch <batch> --failed, not both');
          if (options.batch === undefined || !options.failed) {
            throw usageError('retry a whole batch with --batch <batch> --failed');
          }
          const target = await ctx.target(command);
          return retryBatch(ctx, target, options.batch, options.json === true);
        }
        if (launchRef === undefined)
          throw usageError('name a launch (<batchId>/<sampleId>), or use --batch <batch> --failed');
        const target = await ctx.target(command);
        return retryOne(ctx, target, launchRef, options.json === true);
      }),
    );
}

async function retryOne(ctx: CliContext, target: Target, ref: string, asJson: boolean): Promise<number> {
  const launch = await resolveLaunch(target, ref);
  if (launch.status === 'RETRY') {
    if (asJson) ctx.io.stdout(json({ launchId: launch.launchId, retried: false, status: 'RETRY' }));
    else
      ctx.out(
        `A retry of ${launch.launchId} is already requested (status RETRY): the launcher picks it up next.`,
      );
    return EXIT.ok;
  }
  if (!RETRYABLE_STATUSES.has(launch.status)) {
    throw new CliError(
      EXIT.usage,
      'NOT_RETRYABLE',
      `${launch.launchId} is ${launch.status}: only FAILED, CANCELLED, DELETED or LAUNCH_FAILED launches can be retried. Nothing was changed.`,
    );
  }
  await requestRetry(
    { client: target.dynamo, tableName: target.tableName, entities: target.entities },
    launch,
  );
  const batch = await target.batches.get(launch.batchId);
  if (asJson) {
    ctx.io.stdout(
      json({
        launchId: launch.launchId,
        retried: true,
        previousStatus: launch.status,
        nextAttempt: launch.attempt + 1,
      }),
    );
    return EXIT.ok;
  }
  ctx.out(`Retry requested for ${launch.launchId}: status ${launch.status} → RETRY.`);
  ctx.out('');
  ctx.out('What happens next:');
  ctx.out(
    `  - the launcher starts attempt ${launch.attempt + 1} with a new request id; attempt ${launch.attempt}${launch.runId ? ` (run ${launch.runId})` : ''} stays in the launch's attempts`,
  );
  // Both cache behaviors keep the completed tasks of a failed run; a cancelled run leaves none.
  if (launch.runCache && launch.status === 'FAILED') {
    ctx.out(
      `  - it uses run cache ${launch.runCache.id}: the tasks attempt ${launch.attempt} completed are taken from the cache, not run again, where their inputs are unchanged`,
    );
  }
  for (const line of reopenLines(batch)) ctx.out(`  - ${line}`);
  ctx.out(`  - follow it with: gwm status ${launch.batchId} --watch`);
  return EXIT.ok;
}

async function retryBatch(ctx: CliContext, target: Target, ref: string, asJson: boolean): Promise<number> {
  const batch = await resolveBatch(target, ref);
  const failed = (await allLaunches(target, batch.batchId)).filter(
    (launch) => launch.kind === 'SAMPLE' && FAILED_SAMPLE_STATUSES.has(launch.status),
  );
  const edit = { client: target.dynamo, tableName: target.tableName, entities: target.entities };
  const retried: Launch[] = [];
  for (const launch of failed) {
    await requestRetry(edit, launch);
    retried.push(launch);
  }
  if (asJson) {
    ctx.io.stdout(
      json({
        batchId: batch.batchId,
        retried: retried.map((launch) => ({ launchId: launch.launchId, previousStatus: launch.status })),
        count: retried.length,
      }),
    );
    return EXIT.ok;
  }
  if (retried.length === 0) {
    ctx.out(
      `Batch ${batch.name} (${batch.batchId}) has no FAILED, CANCELLED or LAUNCH_FAILED samples: nothing to retry.`,
    );
    return EXIT.ok;
  }
  for (const launch of retried) ctx.out(`  ${launch.sampleId}  ${launch.status} → RETRY`);
  ctx.out(`Retry requested for ${retried.length} launch(es) of batch ${batch.name} (${batch.batchId}).`);
  ctx.out('');
  ctx.out('What happens next:');
  ctx.out('  - the launcher starts the next attempt of each, with a new request id');
  for (const line of reopenLines(batch)) ctx.out(`  - ${line}`);
  ctx.out(`  - follow them with: gwm status ${batch.batchId} --watch`);
  return EXIT.ok;
}

function reopenLines(batch: Batch | undefined): string[] {
  if (!batch || !FINISHED_BATCH_STATUSES.has(batch.status)) return [];
  const qc =
    batch.qc === undefined
      ? ''
      : batch.qc.rerunOnRetry
        ? '; QC runs again if its policy is met'
        : '; QC does not run again (rerunOnRetry is false)';
  return [
    `batch ${batch.name} is ${batch.status}: it reopens (round ${batch.round + 1}) and sends a new notification when it finishes${qc}`,
  ];
}
