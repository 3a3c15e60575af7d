import type { Command } from 'commander';
import { formatUsd } from '../../domain/money.js';
import { releasingBudget } from '../../domain/notifications/batch-held.js';
import { rejectedHeldBatch } from '../../domain/use-cases/release-held-batches.js';
import { editBatchItem, setBudgetEdit } from '../../functions/adapters/console-edit.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import { json } from '../format.js';
import { resolveBatch } from '../resolve.js';

interface ReleaseOptions {
  maxUsd?: string;
  reject?: boolean;
  json?: boolean;
}

export function registerRelease(program: Command, ctx: CliContext): void {
  program
    .command('release')
    .description(
      'Release a batch held over its budget (raise its budgetMaxUsd to cover the estimate, as a console edit would), or reject it',
    )
    .argument('<batch>', 'the held batch (id, or a name only one recent batch has)')
    .option(
      '--max-usd <amount>',
      'the new budget in US dollars (default: the estimate, rounded up to the cent)',
    )
    .option('--reject', 'reject the batch instead: nothing of it is ever started')
    .option('--json', 'print what was done as JSON')
    .addHelpText(
      'after',
      `
Release sets the batch item's budgetMaxUsd (one attribute, as in the DynamoDB console); the
reconciler releases the batch on its next run, each sample started once. Reject rewrites the
batch REJECTED with the reason. Only a HELD_OVER_BUDGET batch can be released or rejected.`,
    )
    .action(
      ctx.action(async (ref: string, options: ReleaseOptions, command: Command) => {
        if (options.reject && options.maxUsd !== undefined)
          throw usageError('give --max-usd or --reject, not both');
        const target = await ctx.target(command);
        const batch = await resolveBatch(target, ref);
        if (batch.status !== 'HELD_OVER_BUDGET') {
          throw new CliError(
            EXIT.usage,
            'NOT_HELD',
            `batch ${batch.batchId} is ${batch.status}, not HELD_OVER_BUDGET: there is nothing to release. Nothing was changed.`,
          );
        }
        const expected = batch.estimate?.costUsd?.expected ?? 0;
        if (options.reject) {
          const result = await target.batches.replace(
            batch,
            rejectedHeldBatch(batch, new Date(), 'gwm release --reject'),
          );
          if (result === 'conflict') {
            throw new CliError(
              EXIT.unexpected,
              'BATCH_CHANGED',
              `batch ${batch.batchId} changed meanwhile: look again (gwm status ${batch.batchId})`,
            );
          }
          if (options.json) ctx.io.stdout(json({ batchId: batch.batchId, rejected: true }));
          else
            ctx.out(`Batch ${batch.name} (${batch.batchId}) rejected: none of its samples will be started.`);
          return EXIT.ok;
        }
        const amount = options.maxUsd === undefined ? releasingBudget(expected) : Number(options.maxUsd);
        if (!Number.isFinite(amount) || amount < 0)
          throw usageError(`--max-usd ${options.maxUsd}: expected an amount in US dollars`);
        if (amount < expected) {
          throw usageError(
            `--max-usd ${formatUsd(amount)} is below the estimate of ${formatUsd(expected)}: the batch would stay held. Nothing was changed.`,
          );
        }
        await editBatchItem(
          { client: target.dynamo, tableName: target.tableName, entities: target.entities },
          batch.batchId,
          setBudgetEdit(amount),
        );
        if (options.json) {
          ctx.io.stdout(
            json({ batchId: batch.batchId, released: true, budgetMaxUsd: amount, estimateUsd: expected }),
          );
          return EXIT.ok;
        }
        ctx.out(
          `Budget of ${batch.name} (${batch.batchId}) raised to ${formatUsd(amount)} (estimate ${formatUsd(expected)}): budgetMaxUsd ${formatUsd(batch.budgetMaxUsd ?? 0)} → ${formatUsd(amount)}.`,
        );
        ctx.out('');
        ctx.out('What happens next:');
        ctx.out("  - the reconciler's next run releases the batch: each sample is started once");
        ctx.out(`  - follow it with: gwm status ${batch.batchId} --watch`);
        return EXIT.ok;
      }),
    );
}
