import type { Command } from 'commander';
import { effectiveStatus, isTerminal, type Launch } from '../../domain/launch.js';
import { requestCancel } from '../../functions/adapters/console-edit.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import { json } from '../format.js';
import { allLaunches, resolveBatch, resolveLaunch } from '../resolve.js';
import type { Target } from '../target.js';

interface CancelOptions {
  batch?: string;
  json?: boolean;
}

export function registerCancel(program: Command, ctx: CliContext): void {
  program
    .command('cancel')
    .description(
      'Cancel a launch the way a person does in the DynamoDB console: set its status to CANCEL (one attribute)',
    )
    .argument('[launchId]', 'the launch: <batchId>/<sampleId> (<batchId>/qc for the QC run)')
    .option(
      '--batch <batch>',
      'every launch of a batch (id, or a name only one recent batch has) that has not finished',
    )
    .option('--json', 'print what was cancelled as JSON')
    .addHelpText(
      'after',
      `
A launch with a run: the launcher asks HealthOmics to cancel it (CancelRun) and the launch ends
CANCELLED when the run does. A launch with no run yet ends CANCELLED at once; one whose StartRun is
in progress is cancelled as soon as its run id is known. A finished launch cannot be cancelled
(exit status 2). Cancelled samples count as cancelled on their batch; RETRY runs them again.`,
    )
    .action(
      ctx.action(async (launchRef: string | undefined, options: CancelOptions, command: Command) => {
        if (options.batch !== undefined) {
          if (launchRef !== undefined) throw usageError('give a launch id, or --batch <batch>, not both');
          return cancelBatch(ctx, await ctx.target(command), options.batch, options.json === true);
        }
        if (launchRef === undefined)
          throw usageError('name a launch (<batchId>/<sampleId>), or use --batch <batch>');
        return cancelOne(ctx, await ctx.target(command), launchRef, options.json === true);
      }),
    );
}

function editTarget(target: Target) {
  return { client: target.dynamo, tableName: target.tableName, entities: target.entities };
}

async function cancelOne(ctx: CliContext, target: Target, ref: string, asJson: boolean): Promise<number> {
  const launch = await resolveLaunch(target, ref);
  const status = effectiveStatus(launch);
  if (launch.status === 'CANCEL' || launch.cancelRequestedAt) {
    if (asJson) ctx.io.stdout(json({ launchId: launch.launchId, cancelled: false, status: launch.status }));
    else ctx.out(`A cancel of ${launch.launchId} is already requested: the launcher carries it out.`);
    return EXIT.ok;
  }
  if (isTerminal(status)) {
    throw new CliError(
      EXIT.usage,
      'NOT_CANCELLABLE',
      `${launch.launchId} is ${status}: only a launch that has not finished can be cancelled. Nothing was changed.`,
    );
  }
  await requestCancel(editTarget(target), launch);
  if (asJson) {
    ctx.io.stdout(json({ launchId: launch.launchId, cancelled: true, previousStatus: status }));
    return EXIT.ok;
  }
  ctx.out(`Cancel requested for ${launch.launchId}: status ${status} → CANCEL.`);
  ctx.out('');
  ctx.out('What happens next:');
  for (const line of nextSteps(launch)) ctx.out(`  - ${line}`);
  ctx.out(`  - follow it with: gwm status ${launch.batchId} --watch`);
  return EXIT.ok;
}

function nextSteps(launch: Launch): string[] {
  if (launch.runId) {
    return [
      `the launcher asks HealthOmics to cancel run ${launch.runId}; the launch ends CANCELLED when the run does`,
    ];
  }
  return [
    'the launch has no run yet: it ends CANCELLED (if StartRun is in progress, its run is cancelled once known)',
  ];
}

async function cancelBatch(ctx: CliContext, target: Target, ref: string, asJson: boolean): Promise<number> {
  const batch = await resolveBatch(target, ref);
  const open = (await allLaunches(target, batch.batchId)).filter(
    (launch) =>
      !isTerminal(effectiveStatus(launch)) && launch.status !== 'CANCEL' && !launch.cancelRequestedAt,
  );
  for (const launch of open) await requestCancel(editTarget(target), launch);
  if (asJson) {
    ctx.io.stdout(
      json({
        batchId: batch.batchId,
        cancelled: open.map((launch) => ({
          launchId: launch.launchId,
          previousStatus: effectiveStatus(launch),
        })),
        count: open.length,
      }),
    );
    return EXIT.ok;
  }
  if (open.length === 0) {
    ctx.out(`Batch ${batch.name} (${batch.batchId}) has no launch left to cancel: every one has finished.`);
    return EXIT.ok;
  }
  for (const launch of open) ctx.out(`  ${launch.sampleId}  ${effectiveStatus(launch)} → CANCEL`);
  ctx.out(`Cancel requested for ${open.length} launch(es) of batch ${batch.name} (${batch.batchId}).`);
  ctx.out('');
  ctx.out('What happens next:');
  ctx.out(
    '  - launches with a run: HealthOmics is asked to cancel it; each ends CANCELLED when its run does',
  );
  ctx.out('  - launches without a run end CANCELLED at once; the batch finishes when every launch has');
  ctx.out(`  - follow them with: gwm status ${batch.batchId} --watch`);
  return EXIT.ok;
}
