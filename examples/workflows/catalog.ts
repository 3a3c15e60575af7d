import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseWorkflowProfile } from '../../domain/manifest/index.js';
import { s3UriError } from '../../domain/s3-uri.js';
import type { WorkflowProfile } from '../../domain/workflow.js';
import type { LocalRunContext, ProcessWorkflow } from '../../infra/local/engine/index.js';

/**
 * The workflows of the embedded runtime: what the local engine runs for each workflow id, and the
 * profiles that map manifest fields onto their parameters. The profiles' one source is the JSON
 * files in `profiles/` (what an operator would register); they are checked here with the same
 * validation gwm applies to any profile.
 */

/** Numeric ids, as HealthOmics gives private workflows. */
export const LOCAL_WORKFLOW_IDS = { fastqStats: '4821093', fastqQcReport: '4821094' } as const;

/**
 * The workflow ids the lab's seed-format example (examples/manifests/flowcell-seed.json) names.
 * They run the same programs without a profile, so they take the seed format's parameter names:
 * the sample's `fastq` and `sample_id`, and the QC step's `sample_output_uris` (its `fastq`, a
 * control library, is not read by the report).
 */
export const SEED_EXAMPLE_WORKFLOW_IDS = { sample: '9876543', qc: '1122334' } as const;

export const LOCAL_PROFILES: WorkflowProfile[] = [
  loadProfile('fastq-stats.json', LOCAL_WORKFLOW_IDS.fastqStats),
  loadProfile('fastq-qc-report.json', LOCAL_WORKFLOW_IDS.fastqQcReport),
];

export interface LocalWorkflowOptions {
  /** The local S3 the programs read their inputs from. */
  s3Endpoint: string;
  region?: string;
}

const FASTQ_STATS_PROGRAM = fileURLToPath(new URL('./fastq-stats.ts', import.meta.url));
const FASTQ_QC_REPORT_PROGRAM = fileURLToPath(new URL('./fastq-qc-report.ts', import.meta.url));
/**
 * tsx's loader by absolute URL: the engine starts programs in the run's folder, from which a bare
 * `--import tsx` would not resolve.
 */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const MAX_PHRED = 93;

/** The local workflows keyed by workflow id; each program runs under this Node with tsx. */
export function localWorkflows(options: LocalWorkflowOptions): Record<string, ProcessWorkflow> {
  const env = {
    GWM_S3_ENDPOINT: options.s3Endpoint,
    // The local S3 accepts any credentials; these never work against AWS.
    AWS_ACCESS_KEY_ID: 'gwmlocal',
    AWS_SECRET_ACCESS_KEY: 'gwmlocal',
    AWS_REGION: options.region ?? 'us-east-1',
    // The SDK's notice about future Node versions would otherwise sit in every run's log.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  return {
    [LOCAL_WORKFLOW_IDS.fastqStats]: {
      name: 'fastq-stats',
      command: process.execPath,
      args: (run) => ['--import', TSX_LOADER, FASTQ_STATS_PROGRAM, ...fastqStatsArgs(run)],
      env,
    },
    [LOCAL_WORKFLOW_IDS.fastqQcReport]: {
      name: 'fastq-qc-report',
      command: process.execPath,
      args: (run) => ['--import', TSX_LOADER, FASTQ_QC_REPORT_PROGRAM, ...fastqQcReportArgs(run)],
      env,
    },
    [SEED_EXAMPLE_WORKFLOW_IDS.sample]: {
      name: 'fastq-stats-seed',
      command: process.execPath,
      args: (run) => [
        '--import',
        TSX_LOADER,
        FASTQ_STATS_PROGRAM,
        ...fastqStatsArgs({
          ...run,
          parameters: { reads1: run.parameters.fastq, sample_name: run.parameters.sample_id },
        }),
      ],
      env,
    },
    [SEED_EXAMPLE_WORKFLOW_IDS.qc]: {
      name: 'fastq-qc-report-seed',
      command: process.execPath,
      args: (run) => [
        '--import',
        TSX_LOADER,
        FASTQ_QC_REPORT_PROGRAM,
        ...fastqQcReportArgs({
          ...run,
          parameters: { sample_outputs: run.parameters.sample_output_uris, batch_name: 'seed flowcell' },
        }),
      ],
      env,
    },
  };
}

/**
 * fastq-stats parameters: `reads1` (required), `reads2` (absent, null or '' for single-end),
 * `sample_name` (required), `min_quality` (optional integer 0-93). Options are written as
 * `--name=value`, so a value starting with `-` is never taken for an option.
 */
function fastqStatsArgs({ parameters, outputDir }: LocalRunContext): string[] {
  const workflow = 'fastq-stats';
  const reads1 = s3Parameter(workflow, parameters, 'reads1', true);
  const reads2 = s3Parameter(workflow, parameters, 'reads2', false);
  const sample = stringParameter(workflow, parameters, 'sample_name', true);
  const minQuality = numberParameter(workflow, parameters, 'min_quality', {
    integer: true,
    min: 0,
    max: MAX_PHRED,
  });
  return [
    `--sample=${sample}`,
    `--reads1=${reads1}`,
    ...(reads2 === undefined ? [] : [`--reads2=${reads2}`]),
    ...(minQuality === undefined ? [] : [`--min-quality=${minQuality}`]),
    `--out=${outputDir}`,
  ];
}

/**
 * fastq-qc-report parameters: `sample_outputs` (required: the samples' run output URIs, an array
 * or a comma-separated string), `batch_name` (required), `min_reads`, `min_mean_quality`,
 * `max_n_rate` (optional thresholds).
 */
function fastqQcReportArgs({ parameters, outputDir }: LocalRunContext): string[] {
  const workflow = 'fastq-qc-report';
  const list = parameters.sample_outputs_list;
  if (list !== undefined && typeof list !== 'string')
    throw new Error(`${workflow}: parameter "sample_outputs_list" must be the s3:// URI of a list file`);
  const inputs =
    list === undefined
      ? `--inputs=${JSON.stringify(sampleOutputs(parameters.sample_outputs))}`
      : `--inputs-list=${list}`;
  const batch = stringParameter(workflow, parameters, 'batch_name', true);
  const minReads = numberParameter(workflow, parameters, 'min_reads', { integer: true, min: 0 });
  const minMeanQuality = numberParameter(workflow, parameters, 'min_mean_quality', {
    min: 0,
    max: MAX_PHRED,
  });
  const maxNRate = numberParameter(workflow, parameters, 'max_n_rate', { min: 0, max: 1 });
  return [
    `--batch=${batch}`,
    inputs,
    ...(minReads === undefined ? [] : [`--min-reads=${minReads}`]),
    ...(minMeanQuality === undefined ? [] : [`--min-mean-quality=${minMeanQuality}`]),
    ...(maxNRate === undefined ? [] : [`--max-n-rate=${maxNRate}`]),
    `--out=${outputDir}`,
  ];
}

function sampleOutputs(value: unknown): string[] {
  const workflow = 'fastq-qc-report';
  if (value === undefined || value === null) {
    throw new Error(
      `${workflow}: parameter "sample_outputs" (the samples' run output URIs) or "sample_outputs_list" is required`,
    );
  }
  const list = typeof value === 'string' ? value.split(',').map((item) => item.trim()) : value;
  if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) {
    throw new Error(`${workflow}: parameter "sample_outputs" must be an array of s3:// URIs`);
  }
  const uris = list.filter((item) => item !== '');
  if (uris.length === 0) throw new Error(`${workflow}: parameter "sample_outputs" lists no run outputs`);
  for (const uri of uris) {
    const error = s3UriError(uri);
    if (error !== undefined) throw new Error(`${workflow}: parameter "sample_outputs" has ${uri}: ${error}`);
  }
  return uris;
}

function stringParameter(
  workflow: string,
  parameters: Record<string, unknown>,
  name: string,
  required: true,
): string;
function stringParameter(
  workflow: string,
  parameters: Record<string, unknown>,
  name: string,
  required: boolean,
): string | undefined;
function stringParameter(
  workflow: string,
  parameters: Record<string, unknown>,
  name: string,
  required: boolean,
): string | undefined {
  const value = parameters[name];
  if (value === undefined || value === null || value === '') {
    if (required) throw new Error(`${workflow}: parameter "${name}" is required`);
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new Error(`${workflow}: parameter "${name}" must be a string, not ${JSON.stringify(value)}`);
  }
  return value;
}

/** Inputs are S3 objects, as HealthOmics requires: a run never reads the engine's own disk. */
function s3Parameter(
  workflow: string,
  parameters: Record<string, unknown>,
  name: string,
  required: boolean,
): string | undefined {
  const value = stringParameter(workflow, parameters, name, required);
  if (value === undefined) return undefined;
  const error = s3UriError(value);
  if (error !== undefined) throw new Error(`${workflow}: parameter "${name}" (${value}): ${error}`);
  return value;
}

/** A number, or a string holding one (a parameter edited by hand may be either); absent or null: undefined. */
function numberParameter(
  workflow: string,
  parameters: Record<string, unknown>,
  name: string,
  range: { integer?: boolean; min: number; max?: number },
): number | undefined {
  const value = parameters[name];
  if (value === undefined || value === null) return undefined;
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  const valid =
    typeof number === 'number' &&
    Number.isFinite(number) &&
    (!range.integer || Number.isInteger(number)) &&
    number >= range.min &&
    (range.max === undefined || number <= range.max);
  if (!valid) {
    const kind = range.integer ? 'an integer' : 'a number';
    const bounds = range.max === undefined ? `>= ${range.min}` : `from ${range.min} to ${range.max}`;
    throw new Error(
      `${workflow}: parameter "${name}" must be ${kind} ${bounds}, not ${JSON.stringify(value)}`,
    );
  }
  return number;
}

function loadProfile(file: string, workflowId: string): WorkflowProfile {
  const url = new URL(`./profiles/${file}`, import.meta.url);
  const parsed = parseWorkflowProfile(readFileSync(url, 'utf8'));
  if (!parsed.ok) {
    const problems = parsed.problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
    throw new Error(`Workflow profile ${fileURLToPath(url)} is not valid: ${problems}`);
  }
  if (parsed.profile.workflow.id !== workflowId) {
    throw new Error(
      `Workflow profile ${file} names workflow ${parsed.profile.workflow.id}, the catalog runs it as ${workflowId}`,
    );
  }
  return parsed.profile;
}
