import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { batchIdFor, sha256Hex } from '../../domain/batch.js';
import type { Launch } from '../../domain/launch.js';
import type { BatchRepository, LaunchRepository } from '../../domain/ports.js';
import { type DemoBatch, makeDemoBatch } from '../../examples/demo-batch.js';
import { makeBatchRepository } from '../../functions/adapters/batch-repository.js';
import { makeEntities } from '../../functions/adapters/entities.js';
import { makeLaunchRepository } from '../../functions/adapters/launch-repository.js';
import { makeDocumentClient } from '../../functions/dependencies/base.js';
import { DEFAULT_DASHBOARD_PORT } from '../../infra/local/dashboard/dashboard-server.js';
import { type LocalEndpoints, readEndpoints, stateDirFrom } from '../../infra/local/endpoints.js';
import { makeLocalLogReader } from '../../infra/local/engine/index.js';
import { readOutbox } from '../../infra/local/notifications/outbox-notifier.js';
import { localS3ClientConfig } from '../../infra/local/s3/s3.js';
import { type LocalStack, startLocalStack } from '../../infra/local/stack.js';
import { type BatchSnapshot, BatchWaitTimeout, waitForBatch } from '../../infra/local/wait.js';
import { EXIT } from '../exit-codes.js';
import { colorStatus, formatRunTime, truncate } from '../format.js';
import { stdoutColors } from '../io.js';
import { showDemoCost } from './demo-cost.js';

const DEFAULT_DASHBOARD_URL = `http://127.0.0.1:${DEFAULT_DASHBOARD_PORT}/`;

/** Colour only when stdout is a terminal and NO_COLOR is not set. */
const colors = stdoutColors();

interface DemoOptions {
  samples: string;
  timeout: string;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'Run an example flowcell end to end on the local stack: upload, launch, watch, QC, notification, history (starts and stops the stack unless one is running)',
    )
    .option('--samples <n>', 'samples in the flowcell (one has a corrupt FASTQ)', '8')
    .option('--timeout <seconds>', 'give up after this long', '300')
    .action(async (options: DemoOptions, command: Command) => {
      const globals = command.optsWithGlobals<{ stateDir?: string }>();
      process.exitCode = await runDemo({
        stateDir: stateDirFrom(globals.stateDir),
        samples: Number(options.samples),
        timeoutMs: Number(options.timeout) * 1000,
        out: (line = '') => process.stdout.write(`${line}\n`),
        live: process.stdout.isTTY === true,
      });
    });
}

export interface RunDemoOptions {
  stateDir: string;
  samples: number;
  timeoutMs: number;
  out: (line?: string) => void;
  /** Redraw a table in place (a terminal); otherwise print one line per change. */
  live: boolean;
}

/** Returns the exit code: 0 when the flowcell ran as the demo expects. */
export async function runDemo(options: RunDemoOptions): Promise<number> {
  const { out } = options;
  if (!Number.isInteger(options.samples) || options.samples < 4 || options.samples > 96) {
    out(
      '--samples must be a whole number from 4 to 96 (one sample fails on purpose; QC needs 75% to succeed)',
    );
    return EXIT.usage;
  }
  const started = Date.now();
  let stack: LocalStack | undefined;
  let endpoints = await readEndpoints(options.stateDir);
  if (endpoints) {
    out(`Using the local stack already running from ${options.stateDir} (process ${endpoints.pid}).`);
  } else {
    out(`Starting the local stack in ${options.stateDir} ...`);
    try {
      stack = await startLocalStack({ stateDir: options.stateDir, reconcileEveryMs: 30_000 });
    } catch (error) {
      out(colors.red(`Could not start the local stack: ${(error as Error).message}`));
      return EXIT.unreachable;
    }
    endpoints = stack.endpoints;
    out(
      `  up in ${seconds(Date.now() - started)}: S3 ${endpoints.s3Endpoint}, DynamoDB ${endpoints.dynamodbEndpoint}`,
    );
  }
  const clients = stack
    ? { s3: stack.s3, batches: stack.deps.batches, launches: stack.deps.launches, close: () => {} }
    : clientsFor(endpoints);
  try {
    return await runFlowcell(options, endpoints, clients, stack !== undefined);
  } finally {
    clients.close();
    if (stack) {
      out('Stopping the local stack ...');
      await stack.stop();
    }
    out(`Demo finished in ${seconds(Date.now() - started)}.`);
  }
}

async function runFlowcell(
  options: RunDemoOptions,
  endpoints: LocalEndpoints,
  clients: { s3: S3Client; batches: BatchRepository; launches: LaunchRepository },
  startedHere: boolean,
): Promise<number> {
  const { out } = options;
  const demo = makeDemoBatch({
    stamp: new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, ''),
    samples: options.samples,
    inputBucket: endpoints.inputBucket,
    outputBucket: endpoints.outputBucket,
  });
  out();
  out(
    `Uploading ${demo.inputs.length} FASTQ files for ${options.samples} samples to s3://${endpoints.inputBucket}/${demo.inputPrefix} (${demo.corruptSample}'s R2 is corrupt on purpose) ...`,
  );
  for (const input of demo.inputs) {
    await clients.s3.send(
      new PutObjectCommand({ Bucket: endpoints.inputBucket, Key: input.key, Body: input.body }),
    );
  }
  const manifestKey = `manifests/${demo.batchName}.json`;
  const manifestText = `${JSON.stringify(demo.manifest, null, 2)}\n`;
  await clients.s3.send(
    new PutObjectCommand({
      Bucket: endpoints.manifestBucket,
      Key: manifestKey,
      Body: manifestText,
      ContentType: 'application/json',
    }),
  );
  const batchId = batchIdFor(endpoints.manifestBucket, manifestKey, sha256Hex(manifestText));
  out(
    `Uploaded the manifest to s3://${endpoints.manifestBucket}/${manifestKey}: batch ${colors.bold(batchId)}`,
  );
  out();

  const progress = makeProgress(options);
  let finished: BatchSnapshot;
  try {
    finished = await waitForBatch(clients, batchId, {
      timeoutMs: options.timeoutMs,
      pollMs: 400,
      onTick: progress,
    });
  } catch (error) {
    if (error instanceof BatchWaitTimeout) {
      out(colors.red(error.message));
      return EXIT.unexpected;
    }
    throw error;
  }
  out();
  const code = await report(options, endpoints, clients.s3, demo, batchId, finished, startedHere);
  out();
  await showDemoCost(clients, batchId, { out, live: options.live });
  out();
  out(
    startedHere
      ? `The dashboard of this batch (its metrics and the table): npx gwm up, then open ${DEFAULT_DASHBOARD_URL} (or npx gwm dashboard)`
      : `The dashboard of this batch: the address \`gwm up\` printed (usually ${DEFAULT_DASHBOARD_URL}), or npx gwm dashboard`,
  );
  return code;
}

async function report(
  options: RunDemoOptions,
  endpoints: LocalEndpoints,
  s3: S3Client,
  demo: DemoBatch,
  batchId: string,
  { batch, launches }: BatchSnapshot,
  /** The demo started (and is about to stop) the stack: a retry needs `gwm up` first. */
  startedHere: boolean,
): Promise<number> {
  const { out } = options;
  if (!batch) return EXIT.unexpected;
  out(colors.bold(`Batch ${batch.name} (${batchId}): ${batch.status}`));
  out(historyTable(launches));

  const failed = launches.filter((launch) => launch.kind === 'SAMPLE' && launch.status !== 'COMPLETED');
  for (const launch of failed) {
    out();
    out(
      colors.red(
        `${launch.sampleId} ${launch.status}: ${launch.failureReason ?? launch.note ?? 'no reason given'}`,
      ),
    );
    const excerpt = launch.logExcerpt ?? (await liveExcerpt(endpoints, launch));
    if (excerpt) {
      out(`  log (${launch.logLocation ?? 'run log'}):`);
      for (const line of excerpt.split('\n').slice(-8)) out(`    ${line}`);
    }
  }

  const qc = launches.find((launch) => launch.kind === 'QC');
  let reportPath: string | undefined;
  if (qc?.status === 'COMPLETED' && qc.runOutputUri) {
    const reportUri = `${qc.runOutputUri}out/report.html`;
    reportPath = await downloadReport(
      s3,
      reportUri,
      join(options.stateDir, 'demo', `${demo.batchName}.html`),
    );
    out();
    out(`QC report: ${reportUri}`);
    if (reportPath) out(`  a copy to open in a browser: ${reportPath}`);
    const summary = await readQcSummary(s3, `${qc.runOutputUri}out/report.json`);
    if (summary) out(`  ${summary}`);
  } else {
    out();
    out(colors.yellow(`QC: ${batch.qcState}${batch.qcReason ? ` (${batch.qcReason})` : ''}`));
  }

  const notices = await readNotices(endpoints.outboxDir, batchId);
  out();
  out(`Notifications for this batch: ${notices.length} (in ${endpoints.outboxDir}/sns.jsonl)`);
  for (const subject of notices) out(`  ${subject}`);

  const retryable = failed[0];
  if (retryable) {
    out();
    out('To retry the failed sample after fixing its input, set its status to RETRY:');
    out(
      startedHere
        ? `  npx gwm up   (then, in another terminal)   npx gwm retry ${retryable.launchId}`
        : `  npx gwm retry ${retryable.launchId}`,
    );
    out('  or in the DynamoDB console (or the AWS CLI): edit the item, set "status" to "RETRY".');
    if (retryable.runCache) {
      out(
        `  The runs name run cache ${retryable.runCache.id}, so the retry reuses the tasks the failed run finished (${retryable.sampleId}'s R1 was measured) and runs only the rest; gwm status ${batchId} then says how many tasks came from the run cache.`,
      );
    }
  }

  const expected =
    batch.status === 'COMPLETED_WITH_FAILURES' &&
    failed.length === 1 &&
    failed[0]?.sampleId === demo.corruptSample &&
    qc?.status === 'COMPLETED' &&
    reportPath !== undefined &&
    notices.length >= 1;
  if (!expected)
    out(
      colors.red(
        'The flowcell did not end as the demo expects (one failed sample, QC report, notification).',
      ),
    );
  return expected ? EXIT.ok : EXIT.unexpected;
}

function historyTable(launches: Launch[]): string {
  const table = new Table({
    head: ['sample', 'status', 'attempt', 'run', 'started', 'took', 'reason'].map((title) =>
      colors.cyan(title),
    ),
    // cli-table3 colours on its own (even into a pipe): the colours are ours, by the terminal.
    style: { head: [], border: [] },
  });
  const ordered = [...launches].sort((a, b) =>
    a.kind === b.kind ? a.sampleId.localeCompare(b.sampleId) : a.kind === 'QC' ? 1 : -1,
  );
  for (const launch of ordered) {
    const took = formatRunTime(launch.submittedAt, launch.finishedAt);
    table.push([
      launch.kind === 'QC' ? 'QC' : launch.sampleId,
      colorStatus(launch.status, colors),
      String(launch.attempt),
      launch.runId ?? '',
      launch.submittedAt?.slice(11, 19) ?? '',
      took,
      truncate(launch.failureReason, 60),
    ]);
  }
  return table.toString();
}

/** A live table of sample states on a terminal; one line per change otherwise. */
function makeProgress(options: RunDemoOptions): (snapshot: BatchSnapshot) => void {
  const seen = new Map<string, string>();
  let drawn = 0;
  return ({ batch, launches }) => {
    if (options.live) {
      const counts = new Map<string, number>();
      for (const launch of launches) counts.set(launch.status, (counts.get(launch.status) ?? 0) + 1);
      const lines = [
        `batch ${batch?.status ?? 'waiting for registration'}  ` +
          [...counts].map(([status, count]) => `${status.toLowerCase()} ${count}`).join('  '),
        ...launches
          .filter((launch) => launch.kind === 'SAMPLE' || launch.kind === 'QC')
          .sort((a, b) => a.launchId.localeCompare(b.launchId))
          .map(
            (launch) =>
              `  ${(launch.kind === 'QC' ? 'QC' : launch.sampleId).padEnd(14)} ${colorStatus(launch.status, colors)}`,
          ),
      ];
      if (drawn > 0) process.stdout.write(`\u001b[${drawn}A\u001b[0J`);
      process.stdout.write(`${lines.join('\n')}\n`);
      drawn = lines.length;
      return;
    }
    const batchLine = `batch ${batch?.status ?? 'waiting for registration'}`;
    if (seen.get('batch') !== batchLine) {
      seen.set('batch', batchLine);
      options.out(batchLine);
    }
    for (const launch of launches) {
      const state = `${launch.status}#${launch.attempt}`;
      if (seen.get(launch.launchId) === state) continue;
      seen.set(launch.launchId, state);
      options.out(`  ${(launch.kind === 'QC' ? 'QC' : launch.sampleId).padEnd(14)} ${launch.status}`);
    }
  };
}

async function liveExcerpt(endpoints: LocalEndpoints, launch: Launch): Promise<string | undefined> {
  if (!launch.runId) return undefined;
  const tail = await makeLocalLogReader(endpoints.runsDir).tail(launch.runId, 8);
  return tail && tail.lines.length > 0 ? tail.lines.join('\n') : undefined;
}

async function downloadReport(s3: S3Client, uri: string, path: string): Promise<string | undefined> {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) return undefined;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: match[1], Key: match[2] }));
    const body = await object.Body?.transformToByteArray();
    if (!body) return undefined;
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, body);
    return path;
  } catch {
    return undefined;
  }
}

/** One line on what the QC report found: samples, and the ones outside the thresholds. */
async function readQcSummary(s3: S3Client, uri: string): Promise<string | undefined> {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) return undefined;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: match[1], Key: match[2] }));
    const report = JSON.parse((await object.Body?.transformToString()) ?? '{}') as {
      samples?: Array<{ sample: string; flags?: Array<{ code: string; message: string }> }>;
    };
    const samples = report.samples ?? [];
    const flagged = samples.filter((sample) => (sample.flags ?? []).length > 0);
    const details = flagged.map(
      (sample) => `${sample.sample}: ${(sample.flags ?? []).map((flag) => flag.message).join(', ')}`,
    );
    return `${samples.length} samples in the report, ${flagged.length} flagged${details.length > 0 ? ` (${details.join('; ')})` : ''}`;
  } catch {
    return undefined;
  }
}

/** Subjects of the SNS messages in the local outbox that concern this batch. */
async function readNotices(outboxDir: string, batchId: string): Promise<string[]> {
  const { sns } = await readOutbox(outboxDir);
  return sns
    .filter((line) => JSON.stringify(line.publish).includes(batchId))
    .map((line) => line.publish.Subject ?? '(no subject)');
}

function clientsFor(endpoints: LocalEndpoints) {
  const credentials = { accessKeyId: 'gwmlocal', secretAccessKey: 'gwmlocal' };
  const dynamo = new DynamoDBClient({
    region: endpoints.region,
    endpoint: endpoints.dynamodbEndpoint,
    credentials,
  });
  const entities = makeEntities(makeDocumentClient(dynamo), endpoints.tableName);
  const s3 = new S3Client(localS3ClientConfig(endpoints.s3Endpoint));
  return {
    s3,
    batches: makeBatchRepository(entities),
    launches: makeLaunchRepository(entities),
    close: () => {
      dynamo.destroy();
      s3.destroy();
    },
  };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
