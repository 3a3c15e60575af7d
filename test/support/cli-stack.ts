import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import S3rver from 's3rver';
import { DUMMY_ACCOUNT } from 's3rver/lib/models/account.js';
import { parseWorkflowProfile } from '../../domain/manifest/index.js';
import { makeBatchRepository } from '../../functions/adapters/batch-repository.js';
import { type Entities, makeEntities } from '../../functions/adapters/entities.js';
import { makeLaunchRepository } from '../../functions/adapters/launch-repository.js';
import { makeProfileRepository } from '../../functions/adapters/profile-repository.js';
import { writeLocalEndpoints } from './cli-runner.js';
import { makeTestTable, type TestTable } from './local-aws.js';

/** The buckets of the stack the CLI tests stand in for. */
export const CLI_BUCKETS = {
  manifests: 'gwm-manifests',
  inputs: 'gwm-lab-inputs',
  results: 'gwm-lab-results',
} as const;

const root = resolve(import.meta.dirname, '../..');

export interface CliStack {
  /** A temporary folder of the test's own; the state folder is `state/` in it. */
  tmp: string;
  stateDir: string;
  runsDir: string;
  s3: S3Client;
  table: TestTable;
  entities: Entities;
  batches: ReturnType<typeof makeBatchRepository>;
  launches: ReturnType<typeof makeLaunchRepository>;
  profiles: ReturnType<typeof makeProfileRepository>;
  stop(): Promise<void>;
}

/**
 * What `gwm` finds of a local stack, without one running: a real local S3 with the stack's
 * buckets, a table on the tests' DynamoDB Local with the example profiles, and the endpoints file
 * `gwm up` writes (this process stands in for the stack, so the file counts as live).
 */
export async function startCliStack(dynamodbEndpoint: string): Promise<CliStack> {
  const tmp = await mkdtemp(join(tmpdir(), 'gwm-cli-'));
  const stateDir = join(tmp, 'state');
  const runsDir = join(stateDir, 'runs');
  await mkdir(runsDir, { recursive: true });

  DUMMY_ACCOUNT.createKeyPair('gwmlocal', 'gwmlocal');
  const s3rver = new S3rver({
    port: 0,
    address: '127.0.0.1',
    directory: join(tmp, 's3'),
    silent: true,
    configureBuckets: Object.values(CLI_BUCKETS).map((name) => ({ name })),
  });
  const { port } = await s3rver.run();
  const s3Endpoint = `http://127.0.0.1:${port}`;
  const s3 = new S3Client({
    endpoint: s3Endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'gwmlocal', secretAccessKey: 'gwmlocal' },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

  const table = await makeTestTable(dynamodbEndpoint, 'gwm-cli');
  const entities = makeEntities(
    DynamoDBDocumentClient.from(table.client, { marshallOptions: { removeUndefinedValues: true } }),
    table.tableName,
  );
  const profiles = makeProfileRepository(entities);
  await writeLocalEndpoints(stateDir, {
    s3Endpoint,
    dynamodbEndpoint,
    tableName: table.tableName,
    manifestBucket: CLI_BUCKETS.manifests,
    inputBucket: CLI_BUCKETS.inputs,
    outputBucket: CLI_BUCKETS.results,
    runsDir,
  });
  for (const name of ['fastq-stats', 'fastq-qc-report']) {
    const text = await readFile(join(root, `examples/workflows/profiles/${name}.json`), 'utf8');
    const parsed = parseWorkflowProfile(text);
    if (!parsed.ok) throw new Error(`example profile ${name} is invalid`);
    await profiles.put(parsed.profile);
  }
  return {
    tmp,
    stateDir,
    runsDir,
    s3,
    table,
    entities,
    batches: makeBatchRepository(entities),
    launches: makeLaunchRepository(entities),
    profiles,
    async stop() {
      s3.destroy();
      await s3rver.close();
      await table.drop();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}
