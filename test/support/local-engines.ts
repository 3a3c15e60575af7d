import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OmicsClient } from '@aws-sdk/client-omics';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { WorkflowEngine } from '../../domain/ports.js';
import { localWorkflows } from '../../examples/workflows/catalog.js';
import { makeHealthOmicsEngine } from '../../functions/adapters/healthomics-engine.js';
import {
  type LocalEngine,
  type LocalWorkflow,
  localOmicsClientConfig,
  startLocalEngine,
} from '../../infra/local/engine/index.js';
import { type LocalS3, startLocalS3 } from '../../infra/local/s3/s3.js';

/** A local engine started with `options`, the AWS SDK's client pointed at it, and `stop` for both. */
export async function startEngineAndClient(options: Parameters<typeof startLocalEngine>[0]) {
  const engine = await startLocalEngine(options);
  const client = new OmicsClient(localOmicsClientConfig(engine.endpoint));
  const stop = async () => {
    client.destroy();
    await engine.stop();
  };
  return { engine, client, stop };
}

export interface EngineUnderTest {
  engine: LocalEngine;
  /** The AWS SDK's client, pointed at the engine. */
  client: OmicsClient;
  /** gwm's adapter over that client. */
  adapter: WorkflowEngine;
}

/**
 * A local S3 with an input and an output bucket for a test file, and local engines started on
 * demand with the example workflows (and `extra` ones), each stopped after its test. Registers
 * the suite's hooks; call it at the top level of the test file.
 */
export function useLocalEngines(options: {
  name: string;
  inputBucket: string;
  outputBucket: string;
  extra?: Record<string, LocalWorkflow>;
}) {
  let root = '';
  let s3: LocalS3 | undefined;
  const open: EngineUnderTest[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), `${options.name}-`));
    s3 = await startLocalS3({
      directory: join(root, 's3'),
      buckets: [options.inputBucket, options.outputBucket],
    });
  });
  afterEach(async () => {
    for (const { engine, client } of open.splice(0)) {
      client.destroy();
      await engine.stop();
    }
  });
  afterAll(async () => {
    await s3?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const started = () => {
    if (!s3) throw new Error('useLocalEngines: the local S3 is not up yet (call from a test)');
    return s3;
  };

  return {
    /** A folder of the test file's own, removed after the suite. */
    path: (...parts: string[]) => join(root, ...parts),
    s3: started,
    put: (key: string, body: Buffer) =>
      started().client.send(new PutObjectCommand({ Bucket: options.inputBucket, Key: key, Body: body })),
    /** A local engine keeping its runs in `runsDir` (the same folder again: a restart). */
    async start(runsDir: string): Promise<EngineUnderTest> {
      const { engine, client } = await startEngineAndClient({
        workflows: { ...localWorkflows({ s3Endpoint: started().endpoint }), ...options.extra },
        runsDir,
        emit: () => {},
      });
      const running = { engine, client, adapter: makeHealthOmicsEngine({ client }) };
      open.push(running);
      return running;
    },
  };
}
