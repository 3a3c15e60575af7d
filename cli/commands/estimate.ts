import type { Command } from 'commander';
import { batchIdFor, defaultBatchName, sha256Hex } from '../../domain/batch.js';
import { overBudget } from '../../domain/cost/estimate.js';
import type { EstimateRange, SampleEstimate } from '../../domain/cost/types.js';
import { DEFAULT_MANIFEST_LIMITS, parseManifest } from '../../domain/manifest/index.js';
import type { BatchPlan } from '../../domain/manifest/types.js';
import { formatUsd } from '../../domain/money.js';
import { estimateSamples } from '../../domain/use-cases/estimate-batch.js';
import { makeS3InputInspector, sizerOf } from '../../functions/adapters/s3-input-inspector.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { json, makeTable } from '../format.js';
import type { Target } from '../target.js';
import { type Prepared, prepareFile, readInput, rejectPrepared, type SubmitOptions } from './submit.js';

interface EstimateOptions {
  workflow?: string;
  name?: string;
  output?: string;
  json?: boolean;
}

/** Launches of one workflow read for its history, newest first (as the intake reads them). */
const HISTORY_LAUNCHES = 1_000;

export function registerEstimate(program: Command, ctx: CliContext): void {
  program
    .command('estimate')
    .description(
      "Predict what a manifest or sample sheet will cost and take, per sample and in total, from the history of its workflows' completed runs",
    )
    .argument('<file>', 'manifest.json (native or seed format), or samplesheet.csv / .tsv')
    .option('--workflow <profile>', 'sample sheets: the workflow profile every sample runs (required)')
    .option('--name <batchName>', 'sample sheets: the batch name (default: the file name)')
    .option(
      '--output <s3uri>',
      "sample sheets: where the runs would write (default: the profile's output URI)",
    )
    .option('--json', 'print the estimate as JSON')
    .addHelpText(
      'after',
      `
Each sample's input size is the sum of its input objects' sizes (HeadObject; a folder is summed).
A sample whose workflow (and version, where the manifest names one) has fewer than 3 completed,
priced runs says "no history" and is left out of the total. The range is p10-p90: for a sample,
from the spread of past runs around a fit of cost against input size; for the batch, the sum of
the samples' lows and highs (conservative). Nothing is uploaded. See docs/estimate.md.`,
    )
    .action(
      ctx.action(async (file: string, options: EstimateOptions, command: Command) => {
        const bytes = await readInput(file);
        const target = await ctx.target(command);
        const submit: SubmitOptions = { ...options, interval: '2' };
        const prepared = await prepareFile(target, file, bytes, submit);
        if (prepared.problems.length > 0) return rejectPrepared(ctx, file, prepared, 'estimated');
        const plan = await planOf(target, prepared);
        return printEstimate(ctx, target, plan, options.json === true);
      }),
    );
}

/** The batch plan of a file that passed submit's checks (prefixes gwm does not know are the stack's to judge). */
async function planOf(target: Target, prepared: Prepared): Promise<BatchPlan> {
  const profiles = new Map((await target.profiles.list()).map((profile) => [profile.name, profile]));
  const named = [...new Set(prepared.text.match(/s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/g) ?? [])];
  const result = parseManifest(
    { text: prepared.text, sizeBytes: Buffer.byteLength(prepared.text) },
    {
      limits: DEFAULT_MANIFEST_LIMITS,
      allowedReadPrefixes: target.allowedPrefixes?.read ?? named,
      allowedWritePrefixes: target.allowedPrefixes?.write ?? named,
      profiles,
      batch: {
        id: batchIdFor(target.manifestBucket, prepared.key, sha256Hex(prepared.text)),
        defaultName: defaultBatchName(prepared.key),
      },
    },
  );
  if (!result.ok)
    throw new Error(`the file passed its checks but has no plan: ${result.problems[0]?.message}`);
  return result.plan;
}

async function printEstimate(
  ctx: CliContext,
  target: Target,
  plan: BatchPlan,
  asJson: boolean,
): Promise<number> {
  const now = new Date();
  const estimate = await estimateSamples(
    {
      launches: target.launches,
      sizer: sizerOf(makeS3InputInspector(target.s3)),
      historyLaunches: HISTORY_LAUNCHES,
    },
    plan.samples.map((spec) => ({ sampleId: spec.sampleId, workflow: spec.workflow, inputs: spec.inputs })),
    now,
  );
  const rows = plan.samples.map((spec) => ({
    sampleId: spec.sampleId,
    workflowId: spec.workflow.id,
    ...(spec.workflow.version !== undefined && { workflowVersion: spec.workflow.version }),
    ...(estimate.bySample.get(spec.sampleId) ?? { basedOnRuns: 0 }),
  }));
  const held = overBudget({ budgetMaxUsd: plan.budgetMaxUsd, estimate: estimate.batch });
  if (asJson) {
    ctx.io.stdout(
      json({
        batch: plan.name,
        samples: rows,
        total: estimate.batch,
        ...(plan.budgetMaxUsd !== undefined && { budgetMaxUsd: plan.budgetMaxUsd, overBudget: held }),
      }),
    );
    return EXIT.ok;
  }
  const table = makeTable(
    ['sample', 'workflow', 'input', 'expected', 'p10-p90', 'duration', 'runs'],
    ctx.colors,
  );
  for (const row of rows) table.push(sampleCells(row));
  ctx.out(`Estimate for ${plan.name}: ${plan.samples.length} sample(s), from ${target.description}`);
  ctx.out(table.toString());
  const total = estimate.batch;
  const cost = total.costUsd;
  ctx.out(
    cost
      ? `Total: ${formatUsd(cost.expected)} expected (${formatUsd(cost.low)} to ${formatUsd(cost.high)}: the samples' p10 and p90 summed, a conservative range) for ${total.samplesEstimated} sample(s)`
      : 'Total: no history for any sample: nothing to estimate from yet',
  );
  if (cost && total.samplesWithoutHistory > 0) {
    ctx.out(`${total.samplesWithoutHistory} sample(s) have no history and are not counted in the total.`);
  }
  if (plan.budgetMaxUsd !== undefined) {
    ctx.out(
      held
        ? ctx.colors.yellow(
            `Budget ${formatUsd(plan.budgetMaxUsd)}: the estimate is over it; the batch would be held (HELD_OVER_BUDGET) until released.`,
          )
        : `Budget ${formatUsd(plan.budgetMaxUsd)}: within it.`,
    );
  }
  return EXIT.ok;
}

function sampleCells(
  row: SampleEstimate & { sampleId: string; workflowId: string; workflowVersion?: string },
) {
  const workflow = row.workflowVersion ? `${row.workflowId} v${row.workflowVersion}` : row.workflowId;
  const input = row.inputBytes === undefined ? 'unknown' : formatBytes(row.inputBytes);
  if (!row.costUsd) return [row.sampleId, workflow, input, 'no history', '', '', String(row.basedOnRuns)];
  return [
    row.sampleId,
    workflow,
    input,
    formatUsd(row.costUsd.expected),
    `${formatUsd(row.costUsd.low)} - ${formatUsd(row.costUsd.high)}`,
    row.durationSeconds ? formatSeconds(row.durationSeconds) : '',
    String(row.basedOnRuns),
  ];
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value >= 100 || unit === 0 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

function formatSeconds(range: EstimateRange): string {
  const s = Math.round(range.expected);
  if (s < 90) return `${s} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
