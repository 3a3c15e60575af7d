import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../cli/commands/demo.js';
import { batchIdFor, sha256Hex } from '../../domain/batch.js';
import { makeBatchRepository } from '../../functions/adapters/batch-repository.js';
import { makeEntities } from '../../functions/adapters/entities.js';
import { makeLaunchRepository } from '../../functions/adapters/launch-repository.js';
import { makeDocumentClient } from '../../functions/dependencies/base.js';
import { type LocalEndpoints, readEndpoints } from '../../infra/local/endpoints.js';
import { localS3ClientConfig } from '../../infra/local/s3/s3.js';
import { waitForBatch } from '../../infra/local/wait.js';

const GWM = new URL('../../cli/gwm.mjs', import.meta.url).pathname;
const REPO = new URL('../..', import.meta.url).pathname;
const execFileAsync = promisify(execFile);
// biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal escape is what is looked for
const ESCAPE = /\u001b\[/;

/** The `export` line and the `aws ...` commands of `gwm up`'s banner, placeholders filled in; none with a placeholder left. */
function awsCliCommands(banner: string, fill: Record<string, string>) {
  const lines = banner.split('\n').map((line) => line.trim());
  const filled = (line: string) =>
    Object.entries(fill).reduce((text, [placeholder, value]) => text.replaceAll(placeholder, value), line);
  return {
    exports: lines.find((line) => line.startsWith('export ')) ?? '',
    commands: lines
      .filter((line) => line.startsWith('aws '))
      .map(filled)
      .filter((line) => !/<[a-z ]+>/.test(line)),
  };
}

function awsCliAvailable(): boolean {
  try {
    execFileSync('aws', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * One pasted command in a shell from the repository's folder, after the banner's export; its
 * output. Not execFileSync: this process must keep reading `gwm up`'s output meanwhile (a pipe
 * left full blocks the stack).
 */
async function runPasted(exports: string, command: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync('bash', ['-c', `${exports}\n${command}`], {
      cwd: REPO,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      timeout: 60_000,
    });
    return stdout;
  } catch (error) {
    const failed = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${command}\nfailed: ${failed.message}\n${failed.stdout ?? ''}${failed.stderr ?? ''}`);
  }
}
const folders: string[] = [];

async function stateFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'gwm-cli-e2e-'));
  folders.push(folder);
  return folder;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

describe('gwm demo', () => {
  it('runs the example flowcell, reports the failure, the QC report and the notification, and stops what it started', async () => {
    // Prepare
    const stateDir = await stateFolder();
    const lines: string[] = [];

    // Act
    const code = await runDemo({
      stateDir,
      samples: 5,
      timeoutMs: 150_000,
      out: (line = '') => lines.push(line),
      live: false,
    });

    // Assess
    const text = lines.join('\n');
    expect(code).toBe(0);
    expect(text).toMatch(/: COMPLETED_WITH_FAILURES/);
    expect(text).not.toMatch(ESCAPE);
    expect(text).toMatch(
      /NA19239 FAILED: fastq-stats: NA19239 reads2 line \d+: quality line length 99 differs from sequence length 100/,
    );
    expect(text).toMatch(/QC report: s3:\/\/gwm-lab-results\/demo\/.+\/qc\/\d+\/out\/report\.html/);
    expect(text).toContain(
      '4 samples in the report, 1 flagged (NA12892: 800 reads, below the minimum of 1,000)',
    );
    expect(text).toMatch(/Notifications for this batch: 2/);
    expect(text).toMatch(/npx gwm up .* npx gwm retry [0-9a-f]{20}\/NA19239/);
    expect(text).toMatch(
      /The runs name run cache 7000001, so the retry reuses the tasks the failed run finished/,
    );
    const copy = /a copy to open in a browser: (.+\.html)/.exec(text)?.[1];
    expect(copy !== undefined && existsSync(copy)).toBe(true);
    // Everything it started is stopped: no endpoints file left behind
    expect(await readEndpoints(stateDir)).toBeUndefined();
  });
});

describe('gwm up', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('serves the local stack to other clients until Ctrl-C, then stops everything and removes its endpoints file', async () => {
    // Prepare: `gwm up` in its own process, as a person runs it
    const stateDir = await stateFolder();
    // CI=true: picocolors would colour a pipe then; gwm colours a terminal only
    child = spawn(process.execPath, [GWM, '--state-dir', stateDir, 'up', '--reconcile-every', '5'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true' },
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    let endpoints: LocalEndpoints | undefined;
    const deadline = Date.now() + 60_000;
    while (!endpoints && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (output.includes('The local stack is up.')) endpoints = await readEndpoints(stateDir);
    }
    if (!endpoints) throw new Error(`gwm up did not come up:\n${output}`);
    expect(endpoints.pid).toBe(child.pid);
    const dynamodbPid = await dynamoDbLocalPid(endpoints.dynamodbEndpoint);

    // Act: a native manifest uploaded by another client
    const s3 = new S3Client(localS3ClientConfig(endpoints.s3Endpoint));
    const dynamo = new DynamoDBClient({
      region: endpoints.region,
      endpoint: endpoints.dynamodbEndpoint,
      credentials: { accessKeyId: 'gwmlocal', secretAccessKey: 'gwmlocal' },
    });
    const entities = makeEntities(makeDocumentClient(dynamo), endpoints.tableName);
    const manifest = JSON.stringify({
      schemaVersion: 'gwm.manifest/v1',
      batch: { name: 'up-e2e' },
      defaults: { profile: 'fastq-stats', outputUri: `s3://${endpoints.outputBucket}/up-e2e/` },
      samples: [
        {
          id: 'NA12878',
          inputs: {
            fastq1: `s3://${endpoints.inputBucket}/HK3H3BBXY/NA12878_S1_L001_R1_001.fastq.gz`,
            fastq2: `s3://${endpoints.inputBucket}/HK3H3BBXY/NA12878_S1_L001_R2_001.fastq.gz`,
          },
        },
      ],
    });
    await s3.send(
      new PutObjectCommand({ Bucket: endpoints.manifestBucket, Key: 'up-e2e.json', Body: manifest }),
    );
    const batchId = batchIdFor(endpoints.manifestBucket, 'up-e2e.json', sha256Hex(manifest));
    const done = await waitForBatch(
      { batches: makeBatchRepository(entities), launches: makeLaunchRepository(entities) },
      batchId,
      { timeoutMs: 90_000 },
    );
    s3.destroy();
    dynamo.destroy();
    // The dashboard the banner names counts the run
    const dashboardUrl = /dashboard +(http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1];
    const dashboard = (await (await fetch(`${dashboardUrl}data.json`)).json()) as {
      widgets: Array<{ id: string; series?: Array<{ label: string; value: number | null }> }>;
    };
    const launchesWidget = dashboard.widgets.find((widget) => widget.id === 'launches');
    // The banner's AWS CLI commands, as pasted into another terminal (the run id filled in)
    const pasted = awsCliCommands(output, { '<run id>': done.launches[0]?.runId ?? '' });
    const cli = awsCliAvailable();
    const printed: string[] = [];
    if (cli) for (const command of pasted.commands) printed.push(await runPasted(pasted.exports, command));
    else if (process.env.CI) throw new Error('the AWS CLI is not installed: .ci/run installs it');
    child.kill('SIGINT');
    const code = await exited;

    // Assess: the example inputs `gwm up` added made the run succeed; Ctrl-C stopped it all
    expect(done.batch?.status).toBe('COMPLETED');
    expect(output).toMatch(/Added 20 example FASTQ files/);
    expect(launchesWidget?.series?.find((line) => line.label === 'runs completed')?.value).toBe(1);
    expect(code).toBe(0);
    expect(output).toContain('Stopped.');
    expect(output).not.toMatch(ESCAPE);
    expect(pasted.commands.map((command) => command.split(' ').slice(3, 5).join(' '))).toEqual([
      's3 cp',
      'dynamodb scan',
      'omics list-runs',
      'omics get-run',
    ]);
    if (cli) {
      const [, scan, runs, run] = printed;
      expect(runs).toContain(done.launches[0]?.runId);
      expect(runs).toContain('COMPLETED');
      // GetRun, in whatever output format the person's AWS CLI is set to
      expect(run).toContain(`${done.launches[0]?.runId}`);
      expect(run).toContain('COMPLETED');
      expect(scan).toContain('NA12878');
    }
    expect(existsSync(join(stateDir, 'endpoints.json'))).toBe(false);
    expect(dynamodbPid !== undefined && isRunning(dynamodbPid)).toBe(false);
  });
});

/** The process listening on DynamoDB Local's port (from /proc, Linux), to check it is stopped afterwards. */
async function dynamoDbLocalPid(endpoint: string): Promise<number | undefined> {
  const { execFileSync } = await import('node:child_process');
  const port = new URL(endpoint).port;
  try {
    const listing = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
    const line = listing
      .split('\n')
      .find((entry) => entry.includes('DynamoDBLocal.jar') && entry.includes(`-port ${port}`));
    return line ? Number(line.trim().split(/\s+/)[0]) : undefined;
  } catch {
    return undefined;
  }
}
