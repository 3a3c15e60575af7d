import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal, stopByPid } from '../../infra/local/dynamodb/dynamodb-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

/** One in-memory DynamoDB Local for the whole integration run; tests isolate themselves by table name. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Global setup runs in vitest's main process, which the config's test.env does not reach.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const startedAt = performance.now();
  const dynamodb = await startDynamoDbLocal({});
  const elapsed = Math.round(performance.now() - startedAt);
  console.log(`DynamoDB Local ready on ${dynamodb.endpoint} in ${elapsed} ms (pid ${dynamodb.pid})`);
  project.provide('dynamodbEndpoint', dynamodb.endpoint);
  return () => stopByPid(dynamodb.pid);
}
