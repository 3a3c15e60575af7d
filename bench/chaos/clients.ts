import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { forEachConcurrently } from '../../domain/concurrency.js';
import { editLaunchItem, setStatusEdit } from '../../functions/adapters/console-edit.js';
import { makeEntities } from '../../functions/adapters/entities.js';
import { makeDocumentClient } from '../../functions/dependencies/base.js';
import type { LocalEndpoints } from '../../infra/local/endpoints.js';
import { localS3ClientConfig } from '../../infra/local/s3/s3.js';
import { LOCAL_NAMES } from '../../infra/local/stack-settings.js';
import { makeObserver } from './observe.js';
import { type BatchPlan, CHAOS_TEAM, QC_WORKFLOW_ID, SAMPLE_WORKFLOW_ID } from './plan.js';

/** What the harness does from outside the stack, as a lab would: upload manifests, edit launches in the console. */

export interface Clients {
  s3: S3Client;
  dynamo: DynamoDBClient;
  entities: ReturnType<typeof makeEntities>;
  observer: ReturnType<typeof makeObserver>;
  endpoints: LocalEndpoints;
  destroy(): void;
}

export function makeClients(endpoints: LocalEndpoints): Clients {
  const credentials = { accessKeyId: 'gwmlocal', secretAccessKey: 'gwmlocal' };
  const s3 = new S3Client(localS3ClientConfig(endpoints.s3Endpoint));
  const dynamo = new DynamoDBClient({
    endpoint: endpoints.dynamodbEndpoint,
    region: endpoints.region,
    credentials,
  });
  const entities = makeEntities(makeDocumentClient(dynamo), endpoints.tableName);
  const observer = makeObserver(endpoints);
  return {
    s3,
    dynamo,
    entities,
    observer,
    endpoints,
    destroy() {
      s3.destroy();
      dynamo.destroy();
      observer.destroy();
    },
  };
}

/** A plain UpdateItem of `status`, as typed in the DynamoDB console. */
export async function consoleEdit(
  clients: Clients,
  launch: { batchId: string; launchId: string },
  value: string,
) {
  await editLaunchItem(
    { client: clients.dynamo, tableName: clients.endpoints.tableName, entities: clients.entities },
    launch,
    setStatusEdit(value),
  );
}

export function manifestText(batch: BatchPlan): string {
  return JSON.stringify({
    schemaVersion: 'gwm.manifest/v1',
    batch: { name: batch.name, team: CHAOS_TEAM },
    defaults: {
      workflow: { id: SAMPLE_WORKFLOW_ID, type: 'PRIVATE' },
      outputUri: `s3://gwm-lab-results/chaos/${batch.name}/`,
      storageType: 'DYNAMIC',
    },
    samples: batch.sampleIds.map((id) => ({
      id,
      inputs: { fastq1: `s3://${LOCAL_NAMES.inputBucket}/${inputKey(id)}` },
      parameters: { sample: id, batch: batch.name },
    })),
    qc: {
      workflow: { id: QC_WORKFLOW_ID, type: 'PRIVATE' },
      outputUri: `s3://gwm-lab-results/chaos/${batch.name}/qc/`,
      parameters: { batch: batch.name },
      ...batch.qc,
    },
  });
}

const inputKey = (sampleId: string) => `chaos/${sampleId}.fastq.gz`;

/** Every sample's input, before any manifest: intake rejects a manifest whose inputs are missing. */
export async function uploadInputs(clients: Clients, batches: readonly BatchPlan[]) {
  const ids = [...new Set(batches.flatMap((batch) => batch.sampleIds))];
  await forEachConcurrently(ids, 16, async (id) => {
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: clients.endpoints.inputBucket,
        Key: inputKey(id),
        Body: `@${id}\nACGT\n+\nFFFF\n`,
      }),
    );
  });
  return ids.length;
}

export async function upload(clients: Clients, batch: BatchPlan) {
  await clients.s3.send(
    new PutObjectCommand({
      Bucket: clients.endpoints.manifestBucket,
      Key: batch.key,
      Body: manifestText(batch),
    }),
  );
}
