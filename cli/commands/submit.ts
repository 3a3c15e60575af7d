import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { batchIdFor, defaultBatchName, sha256Hex } from '../../domain/batch.js';
import { DEFAULT_MANIFEST_LIMITS, type ManifestProblem, parseManifest } from '../../domain/manifest/index.js';
import {
  describeSheetLocation,
  parametersNamingInput,
  type SampleSheetConversion,
  sampleSheetToManifest,
  sheetProblems,
} from '../../domain/manifest/samplesheet.js';
import { manifestPrefixOf, TEAM_NAME_PATTERN, teamNameOfKey } from '../../domain/teams/team.js';
import { type ManifestTeam, manifestTeam, teamProblems } from '../../domain/use-cases/manifest-team.js';
import { isManifestKey, MANIFEST_SUFFIXES } from '../../functions/event-sources.js';
import type { CliContext } from '../context.js';
import { EXIT, usageError } from '../exit-codes.js';
import { json, parsePositiveInt, problemLines } from '../format.js';
import { readSampleSheet } from '../samplesheet-file.js';
import type { Target } from '../target.js';
import { watchBatch } from './status.js';

export interface SubmitOptions {
  workflow?: string;
  name?: string;
  output?: string;
  qcWorkflow?: string;
  key?: string;
  team?: string;
  wait?: boolean;
  dryRun?: boolean;
  json?: boolean;
  interval: string;
}

/** Prefix problems only the deployment can judge when gwm does not know its prefixes. */
const PREFIX_CODES = new Set(['READ_PREFIX_NOT_ALLOWED', 'WRITE_PREFIX_NOT_ALLOWED']);
/** How long `--wait` waits for the intake to register an uploaded manifest. */
const REGISTRATION_GRACE_MS = 120_000;

export interface Prepared {
  text: string;
  bytes: Buffer;
  key: string;
  samples: number;
  /** Problems, each with where to find it: a JSONPath, or a row and column of the sample sheet. */
  problems: { where: string; code: string; message: string }[];
}

export function registerSubmit(program: Command, ctx: CliContext): void {
  program
    .command('submit')
    .description(
      'Check a manifest (JSON) or an nf-core sample sheet (CSV/TSV) and upload it for intake; prints the batch id',
    )
    .argument(
      '<file>',
      'manifest.json (native or seed format), or samplesheet.csv / .tsv (sample,fastq_1,fastq_2,…)',
    )
    .option('--workflow <profile>', 'sample sheets: the workflow profile every sample runs (required)')
    .option('--name <batchName>', 'sample sheets: the batch name (default: the file name)')
    .option('--output <s3uri>', "sample sheets: where the runs write (default: the profile's output URI)")
    .option('--qc-workflow <profile>', 'sample sheets: a workflow profile run once over the batch as QC')
    .option('--team <name>', "upload as the team's: under teams/<name>/ (docs/teams.md)")
    .option(
      '--key <s3key>',
      'the object key in the manifest bucket (default: manifests/<name>.json, teams/<team>/<name>.json with --team)',
    )
    .option('--dry-run', 'check only: print the batch id it would get, upload nothing')
    .option('--wait', 'then watch the batch until it finishes, as status --watch')
    .option('--interval <seconds>', 'seconds between polls with --wait', '2')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
A sample sheet becomes a native manifest: "sample" is the sample id, fastq_1/fastq_2 the inputs
fastq1/fastq2 ({{sample.fastq1}}, {{sample.fastq2}} in profiles); another column holding s3:// URIs
becomes an input of its name, any other column a workflow parameter of its name. Problems are
shown by row and column; nothing is uploaded while there are any (exit status 2).`,
    )
    .action(
      ctx.action(async (file: string, options: SubmitOptions, command: Command) => {
        const intervalMs = parsePositiveInt(options.interval, '--interval') * 1000;
        const bytes = await readInput(file);
        const target = await ctx.target(command);
        const prepared = await prepareFile(target, file, bytes, options);
        if (prepared.problems.length > 0) return rejectPrepared(ctx, file, prepared, 'uploaded');

        const { key, text } = prepared;
        const bucket = target.manifestBucket;
        // The intake's batch id: bucket, key and the hash of the text it reads back.
        const batchId = batchIdFor(bucket, key, sha256Hex(text));
        const uri = `s3://${bucket}/${key}`;
        const existing = options.dryRun ? undefined : await target.batches.get(batchId);
        // A rejected batch's manifest is checked again when the same bytes arrive again: it was
        // valid here, so the deployment (a profile, a prefix) may have been fixed since.
        const upload = !options.dryRun && (!existing || existing.status === 'REJECTED');
        if (upload) {
          await target.s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: key,
              Body: prepared.bytes,
              ContentType: 'application/json',
            }),
          );
        }
        const submission = {
          batchId,
          bucket,
          key,
          uri,
          samples: prepared.samples,
          uploaded: upload,
          ...(existing && { existingStatus: existing.status }),
        };

        if (options.wait && !options.dryRun) {
          if (!options.json) printSubmission(ctx, target, submission, options);
          return watchBatch(ctx, target, batchId, {
            intervalMs,
            json: options.json === true,
            registrationGraceMs: REGISTRATION_GRACE_MS,
            emit: (status) => ctx.io.stdout(json({ ...submission, status })),
          });
        }
        if (options.json) ctx.io.stdout(json({ ...submission, dryRun: options.dryRun === true }));
        else printSubmission(ctx, target, submission, options);
        return EXIT.ok;
      }),
    );
}

function printSubmission(
  ctx: CliContext,
  target: Target,
  submission: { batchId: string; uri: string; samples: number; uploaded: boolean; existingStatus?: string },
  options: SubmitOptions,
): void {
  const { colors } = ctx;
  if (options.dryRun) {
    ctx.out(`Valid: ${submission.samples} sample(s). Nothing was uploaded (--dry-run).`);
    ctx.out(`Uploaded to ${submission.uri} it would become batch ${colors.bold(submission.batchId)}.`);
    return;
  }
  if (submission.existingStatus === 'REJECTED' && submission.uploaded) {
    ctx.out(
      `Batch ${colors.bold(submission.batchId)} was REJECTED for this manifest; uploaded ${submission.uri} again, so the intake checks it again and registers it if it is now valid.`,
    );
  } else if (submission.existingStatus !== undefined) {
    ctx.out(
      `This manifest was already submitted to ${submission.uri}: batch ${colors.bold(submission.batchId)} is ${submission.existingStatus}. Nothing was uploaded.`,
    );
  } else {
    ctx.out(`Uploaded ${submission.uri} (${submission.samples} sample(s)) to ${target.description}.`);
    ctx.out(`Batch id: ${colors.bold(submission.batchId)} (the intake registers it in a moment)`);
  }
  if (target.kind === 'aws' && target.allowedPrefixes === undefined) {
    ctx.out(colors.dim("S3 prefixes were not checked here: the stack's intake checks them."));
  }
  if (options.wait) return;
  ctx.out('');
  ctx.out('Next:');
  ctx.out(`  gwm status ${submission.batchId} --watch`);
  ctx.out(`  gwm history --batch ${submission.batchId}`);
  if (target.dashboardUrl) ctx.out(`  dashboard: ${target.dashboardUrl}`);
}

export async function readInput(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw usageError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

function isSampleSheet(file: string): boolean {
  return ['.csv', '.tsv'].includes(extname(file).toLowerCase());
}

/** Checks a manifest, or converts a sample sheet (.csv, .tsv) into one and checks that. */
export function prepareFile(
  target: Target,
  file: string,
  bytes: Buffer,
  options: SubmitOptions,
): Promise<Prepared> {
  return isSampleSheet(file)
    ? prepareSampleSheet(target, file, bytes, options)
    : prepareManifest(target, file, bytes, options);
}

/** Lists the file's problems on stderr, saying nothing was `done`; returns the usage exit code. */
export function rejectPrepared(ctx: CliContext, file: string, prepared: Prepared, done: string): number {
  ctx.err(`${file} has ${prepared.problems.length} problem(s); nothing was ${done}:`);
  for (const line of problemLines(prepared.problems)) ctx.err(line);
  return EXIT.usage;
}

/** The key to upload to: --key as given, or the file's name under the team's prefix or manifests/. */
function keyFor(options: SubmitOptions, name: string): string {
  if (options.team !== undefined && !TEAM_NAME_PATTERN.test(options.team))
    throw usageError(
      `--team ${JSON.stringify(options.team)}: a team name is lower case letters, digits and dashes`,
    );
  const folder = options.team === undefined ? 'manifests/' : manifestPrefixOf(options.team);
  const key = checkKey(options.key ?? `${folder}${defaultBatchName(name)}.json`);
  if (options.team !== undefined && !key.startsWith(folder))
    throw usageError(
      `--key ${JSON.stringify(key)} is not under ${folder}: the team a manifest belongs to is where it is uploaded`,
    );
  return key;
}

function checkKey(key: string): string {
  if (key === '' || key.startsWith('/'))
    throw usageError(`--key ${JSON.stringify(key)}: expected a key such as manifests/run-42.json`);
  if (!isManifestKey(key)) {
    throw usageError(
      `--key ${JSON.stringify(key)}: the intake only reads keys ending in ${MANIFEST_SUFFIXES.join(', ')} (any case)`,
    );
  }
  return key;
}

async function prepareManifest(
  target: Target,
  file: string,
  bytes: Buffer,
  options: SubmitOptions,
): Promise<Prepared> {
  const sheetOnly = [
    options.workflow !== undefined && '--workflow',
    options.name !== undefined && '--name',
    options.output !== undefined && '--output',
    options.qcWorkflow !== undefined && '--qc-workflow',
  ].filter(Boolean);
  if (sheetOnly.length > 0) {
    throw usageError(
      `${sheetOnly.join(', ')} ${sheetOnly.length === 1 ? 'applies' : 'apply'} to sample sheets (.csv, .tsv); a JSON manifest is uploaded as it is: set ${sheetOnly.length === 1 ? 'it' : 'them'} in the file`,
    );
  }
  const key = keyFor(options, basename(file));
  // The intake reads the object back as UTF-8 text and hashes that text.
  const text = bytes.toString('utf8');
  const problems = await validate(target, key, text, bytes.length);
  return {
    text,
    bytes,
    key,
    samples: countSamples(text),
    problems: problems.map((problem) => ({
      where: problem.path,
      code: problem.code,
      message: problem.message,
    })),
  };
}

async function prepareSampleSheet(
  target: Target,
  file: string,
  bytes: Buffer,
  options: SubmitOptions,
): Promise<Prepared> {
  if (options.workflow === undefined) {
    throw usageError(
      'a sample sheet needs --workflow <profile>: the workflow profile its samples run (gwm workflows list)',
    );
  }
  const sheet = readSampleSheet(bytes.toString('utf8'), extname(file).toLowerCase() === '.tsv' ? '\t' : ',');
  const name = options.name ?? defaultBatchName(basename(file));
  const key = keyFor(options, name);
  const profile = await target.profiles.get(options.workflow);
  // Locally the runs write to the output bucket unless told otherwise (or the profile says where).
  const outputUri =
    options.output ??
    (profile?.defaults.outputUri === undefined && target.defaultOutputPrefix !== undefined
      ? `${target.defaultOutputPrefix}${defaultBatchName(name)}/`
      : undefined);
  const conversion: SampleSheetConversion = sampleSheetToManifest(sheet, {
    profile: options.workflow,
    name,
    ...(outputUri !== undefined && { outputUri }),
    ...(options.qcWorkflow !== undefined && { qcProfile: options.qcWorkflow }),
    ...(profile !== undefined && { singleEndNullParameters: parametersNamingInput(profile, 'fastq2') }),
  });
  const text = `${JSON.stringify(conversion.document, null, 2)}\n`;
  const manifestProblems = await validate(target, key, text, Buffer.byteLength(text));
  return {
    text,
    bytes: Buffer.from(text, 'utf8'),
    key,
    samples: sheet.rows.length,
    problems: sheetProblems(conversion, manifestProblems).map((problem) => ({
      where: describeSheetLocation(problem.location),
      code: problem.code,
      message: problem.message,
    })),
  };
}

/** The intake's own checks, with this deployment's profiles (and prefixes, when known). */
async function validate(
  target: Target,
  key: string,
  text: string,
  sizeBytes: number,
): Promise<ManifestProblem[]> {
  const profiles = new Map((await target.profiles.list()).map((profile) => [profile.name, profile]));
  const prefixes = await prefixesFor(target, key);
  if ('refusal' in prefixes) return [prefixes.refusal];
  const result = parseManifest(
    { text, sizeBytes },
    {
      limits: DEFAULT_MANIFEST_LIMITS,
      allowedReadPrefixes: prefixes.read ?? [],
      allowedWritePrefixes: prefixes.write ?? [],
      prefixOwner: prefixes.owner,
      profiles,
      batch: {
        id: batchIdFor(target.manifestBucket, key, sha256Hex(text)),
        defaultName: defaultBatchName(key),
      },
    },
  );
  if (result.ok) return teamNameOfKey(key) === undefined ? [] : teamProblems(result.plan, prefixes.team);
  return prefixes.read === undefined
    ? result.problems.filter((problem) => !PREFIX_CODES.has(problem.code))
    : result.problems;
}

type KnownPrefixes =
  | { read?: readonly string[]; write?: readonly string[]; owner?: string; team: ManifestTeam }
  | { refusal: ManifestProblem };

/**
 * The prefixes the intake will hold the manifest to: its team's (within the deployment's, when
 * gwm knows them), or the deployment's; unknown (undefined) for a deployed stack's default team.
 */
async function prefixesFor(target: Target, key: string): Promise<KnownPrefixes> {
  const known = target.allowedPrefixes;
  if (teamNameOfKey(key) === undefined)
    return {
      read: known?.read,
      write: known?.write,
      team: { allowedReadPrefixes: [], allowedWritePrefixes: [] },
    };
  const owner = await manifestTeam(target.teams, key, {
    readPrefixes: known?.read ?? [],
    writePrefixes: known?.write ?? [],
  });
  if (owner.refusal) return { refusal: owner.refusal };
  const team = owner.team;
  return known === undefined && team
    ? { read: team.readPrefixes, write: team.writePrefixes, owner: owner.prefixOwner, team: owner }
    : {
        read: owner.allowedReadPrefixes,
        write: owner.allowedWritePrefixes,
        owner: owner.prefixOwner,
        team: owner,
      };
}

function countSamples(text: string): number {
  try {
    const document = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text) as Record<string, unknown>;
    const samples = document.samples ?? document.flowcellSamples;
    return Array.isArray(samples) ? samples.length : 0;
  } catch {
    return 0;
  }
}
