import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OmicsClient, StartRunCommand } from '@aws-sdk/client-omics';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type LocalEngine,
  type LocalWorkflow,
  localOmicsClientConfig,
  makeLocalRunManifestReader,
  startLocalEngine,
} from '../../infra/local/engine/index.js';
import { RUN_MANIFEST_FILE } from '../../infra/local/engine/run-storage.js';

const WRITER = '3100100';
const SIMULATED = '3100200';
const SIMULATED_QUIET = '3100300';
const MIB = 1024 ** 2;
const GIB = 1024 ** 3;

const workflows: Record<string, LocalWorkflow> = {
  // Writes 8 MiB as soon as it starts, holds it for a second, then ends.
  [WRITER]: {
    name: 'writer',
    command: process.execPath,
    args: (run) => [
      '-e',
      `require("node:fs").writeFileSync(${JSON.stringify(join(run.outputDir, 'big.bin'))}, Buffer.alloc(${8 * MIB})); setTimeout(() => {}, 1000)`,
    ],
  },
  [SIMULATED]: {
    name: 'simulated',
    simulate: () => ({ runningMs: 300, status: 'COMPLETED', storageGiB: 300 }),
  },
  [SIMULATED_QUIET]: {
    name: 'simulated-quiet',
    simulate: () => ({ runningMs: 100, status: 'COMPLETED' }),
  },
};

let root: string;
let engine: LocalEngine;
let client: OmicsClient;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'gwm-engine-storage-'));
});
afterEach(async () => {
  client?.destroy();
  await engine?.stop();
});
afterAll(async () => rm(root, { recursive: true, force: true }));

async function runToEnd(runsDir: string, workflowId: string) {
  engine = await startLocalEngine({ workflows, runsDir, emit: () => {} });
  client = new OmicsClient(localOmicsClientConfig(engine.endpoint));
  const made = await client.send(
    new StartRunCommand({
      workflowId,
      roleArn: 'arn:aws:iam::123456789012:role/gwm-local',
      outputUri: 's3://out/runs/',
      storageType: 'DYNAMIC',
      requestId: `storage-${workflowId}`,
    }),
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    const run = engine.runs().find((candidate) => candidate.id === made.id);
    if (run && ['COMPLETED', 'FAILED'].includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${made.id} did not end`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the run manifest the local engine writes', () => {
  it('reports the storage a program used: the most it held and its time-weighted average', async () => {
    // Prepare, Act
    const runsDir = join(root, 'writer');
    const run = await runToEnd(runsDir, WRITER);
    const use = await makeLocalRunManifestReader(runsDir).storageUse(run.id, run.uuid);
    // Assess: 8 MiB (and a few bytes of log) at most, held for most of the run
    expect(run.status).toBe('COMPLETED');
    expect((use?.maximumGiB ?? 0) * GIB).toBeGreaterThanOrEqual(8 * MIB);
    expect((use?.maximumGiB ?? 0) * GIB).toBeLessThan(8 * MIB + 64 * 1024);
    expect(use?.averageGiB).toBeGreaterThan(0);
    expect(use?.averageGiB).toBeLessThanOrEqual(use?.maximumGiB ?? 0);
    // The run's record comes first, as in HealthOmics' manifest, with its times and storage type.
    const [first] = (await readFile(join(runsDir, run.id, RUN_MANIFEST_FILE), 'utf8')).split('\n');
    expect(JSON.parse(first ?? '{}')).toMatchObject({
      arn: run.arn,
      uuid: run.uuid,
      storageType: 'DYNAMIC',
      startTime: run.startTime?.toISOString(),
      stopTime: run.stopTime?.toISOString(),
    });
  }, 60_000);

  it('reports a simulated run holding what it declares, half of it on average; nothing when it declares nothing', async () => {
    const runsDir = join(root, 'simulated');
    const declared = await runToEnd(runsDir, SIMULATED);
    const reader = makeLocalRunManifestReader(runsDir);
    expect(await reader.storageUse(declared.id, declared.uuid)).toEqual({ averageGiB: 150, maximumGiB: 300 });
    await engine.stop();
    client.destroy();

    const quietDir = join(root, 'quiet');
    const quiet = await runToEnd(quietDir, SIMULATED_QUIET);
    const quietReader = makeLocalRunManifestReader(quietDir);
    expect(await quietReader.storageUse(quiet.id, quiet.uuid)).toEqual({});
    // Another run's UUID, or a run that has no manifest: nothing.
    expect(await quietReader.storageUse(quiet.id, '00000000-0000-4000-8000-000000000000')).toBeUndefined();
    expect(await quietReader.storageUse('9999999', quiet.uuid)).toBeUndefined();
  }, 60_000);
});
