import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type {
  BatchRepository,
  LaunchRepository,
  RunLogReader,
  TeamRepository,
  WorkflowProfileRepository,
} from '../domain/ports.js';
import { makeBatchRepository } from '../functions/adapters/batch-repository.js';
import { makeCloudWatchLogReader } from '../functions/adapters/cloudwatch-log-reader.js';
import { type Entities, makeEntities } from '../functions/adapters/entities.js';
import { makeLaunchRepository } from '../functions/adapters/launch-repository.js';
import { makeProfileRepository } from '../functions/adapters/profile-repository.js';
import { makeTeamRepository } from '../functions/adapters/team-repository.js';
import {
  deadLetterDirOf,
  ENDPOINTS_FILE,
  type LocalEndpoints,
  readEndpoints,
  stateDirFrom,
} from '../infra/local/endpoints.js';
import { makeLocalLogReader } from '../infra/local/engine/log-reader.js';
import { STACK_OUTPUTS } from '../infra/stack-outputs.js';
import { CliError, EXIT, usageError } from './exit-codes.js';
import type { CliIo } from './io.js';
import {
  deadLetterFailures,
  queueFailures,
  type StreamConsumer,
  type StreamFailureSource,
} from './stream-failures.js';

/** The options every command takes (before or after the command name). */
export interface GlobalOptions {
  stateDir?: string;
  stack?: string;
  profile?: string;
  region?: string;
}

/** The gwm a command talks to: the local stack of `gwm up`, or a deployed stack. */
export interface Target {
  kind: 'local' | 'aws';
  /** Where, for messages: "the local stack in /home/ana/gwm/.gwm", "stack gwm-prod". */
  description: string;
  tableName: string;
  manifestBucket: string;
  dynamo: DynamoDBClient;
  s3: S3Client;
  entities: Entities;
  batches: BatchRepository;
  launches: LaunchRepository;
  profiles: WorkflowProfileRepository;
  teams: TeamRepository;
  logs: RunLogReader;
  /** The S3 prefixes the intake allows, when gwm knows them (the local stack). */
  allowedPrefixes?: { read: string[]; write: string[] };
  /** Where sample-sheet runs write when no --output is given (the local stack's output bucket). */
  defaultOutputPrefix?: string;
  dashboardUrl?: string;
  /** A stream consumer's failure records: the local dead-letter files, or the stack's failure queues. */
  streamFailures(consumer: StreamConsumer): StreamFailureSource;
  close(): void;
}

export const NO_LOCAL_STACK =
  'no local stack is running: start one with `gwm up` (or use --stack <name> for a deployed stack)';

/** Local services accept these and nothing else does: they open nothing on AWS. */
const LOCAL_CREDENTIALS = { accessKeyId: 'gwmlocal', secretAccessKey: 'gwmlocal' };

export async function openTarget(options: GlobalOptions, io: CliIo): Promise<Target> {
  if (options.stack !== undefined) return openStack(options.stack, options);
  if (options.profile !== undefined || options.region !== undefined) {
    throw usageError(
      '--profile and --region choose the AWS account and region of --stack <name>; without --stack gwm uses the local stack',
    );
  }
  const stateDir = stateDirFrom(options.stateDir ?? io.env.GWM_STATE_DIR);
  let endpoints: LocalEndpoints | undefined;
  try {
    endpoints = await readEndpoints(stateDir);
  } catch (error) {
    throw new CliError(
      EXIT.unreachable,
      'NO_LOCAL_STACK',
      `${NO_LOCAL_STACK}\n(${stateDir}/${ENDPOINTS_FILE} is not readable: ${(error as Error).message})`,
      { cause: error },
    );
  }
  if (endpoints === undefined) {
    throw new CliError(
      EXIT.unreachable,
      'NO_LOCAL_STACK',
      `${NO_LOCAL_STACK}\n(looked for ${stateDir}/${ENDPOINTS_FILE})`,
    );
  }
  return localTarget(endpoints, stateDir);
}

export function localTarget(endpoints: LocalEndpoints, stateDir: string): Target {
  const common = { region: endpoints.region, credentials: LOCAL_CREDENTIALS };
  const dynamo = new DynamoDBClient({ ...common, endpoint: endpoints.dynamodbEndpoint });
  const s3 = new S3Client({
    ...common,
    endpoint: endpoints.s3Endpoint,
    forcePathStyle: true,
    // The local S3 stores aws-chunked bodies with their framing: checksums only when required.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const input = `s3://${endpoints.inputBucket}/`;
  const output = `s3://${endpoints.outputBucket}/`;
  return {
    kind: 'local',
    description: `the local stack in ${stateDir}`,
    tableName: endpoints.tableName,
    manifestBucket: endpoints.manifestBucket,
    dynamo,
    s3,
    ...repositories(dynamo, endpoints.tableName),
    logs: makeLocalLogReader(endpoints.runsDir),
    // As `gwm up` configures its intake: inputs from both buckets (QC reads sample outputs).
    allowedPrefixes: { read: [input, output], write: [output] },
    defaultOutputPrefix: output,
    streamFailures: (consumer) => deadLetterFailures(deadLetterDirOf(stateDir), consumer),
    close() {
      dynamo.destroy();
      s3.destroy();
    },
  };
}

async function openStack(stackName: string, options: GlobalOptions): Promise<Target> {
  const common = {
    ...(options.region !== undefined && { region: options.region }),
    // The client's own profile setting: credentials and region come from that profile.
    ...(options.profile !== undefined && { profile: options.profile }),
  };
  const cloudformation = new CloudFormationClient(common);
  let outputs: Map<string, string>;
  try {
    const response = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = response.Stacks?.[0];
    outputs = new Map(
      (stack?.Outputs ?? []).flatMap((output) =>
        output.OutputKey && output.OutputValue ? [[output.OutputKey, output.OutputValue] as const] : [],
      ),
    );
  } catch (error) {
    throw stackError(stackName, options, error);
  } finally {
    cloudformation.destroy();
  }
  const output = (key: string) => {
    const value = outputs.get(key);
    if (value === undefined) {
      throw new CliError(
        EXIT.unreachable,
        'STACK_OUTPUT_MISSING',
        `stack ${stackName} has no output ${key}: is it a gwm stack, and has its deployment finished?`,
      );
    }
    return value;
  };
  const tableName = output(STACK_OUTPUTS.tableName);
  const manifestBucket = output(STACK_OUTPUTS.manifestBucket);
  const dynamo = new DynamoDBClient(common);
  const s3 = new S3Client(common);
  const logsClient = new CloudWatchLogsClient(common);
  let sqs: SQSClient | undefined;
  let streams: DynamoDBStreamsClient | undefined;
  return {
    kind: 'aws',
    description: `stack ${stackName}`,
    tableName,
    manifestBucket,
    dynamo,
    s3,
    ...repositories(dynamo, tableName),
    logs: makeCloudWatchLogReader({ client: logsClient }),
    dashboardUrl: outputs.get(STACK_OUTPUTS.dashboardUrl),
    streamFailures(consumer) {
      const queueUrl = output(
        consumer === 'launcher'
          ? STACK_OUTPUTS.launcherFailureQueueUrl
          : STACK_OUTPUTS.aggregatorFailureQueueUrl,
      );
      sqs ??= new SQSClient(common);
      streams ??= new DynamoDBStreamsClient(common);
      return queueFailures({ sqs, streams, queueUrl });
    },
    close() {
      dynamo.destroy();
      s3.destroy();
      logsClient.destroy();
      sqs?.destroy();
      streams?.destroy();
    },
  };
}

function repositories(dynamo: DynamoDBClient, tableName: string) {
  const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const entities = makeEntities(doc, tableName);
  return {
    entities,
    batches: makeBatchRepository(entities),
    launches: makeLaunchRepository(entities),
    profiles: makeProfileRepository(entities),
    teams: makeTeamRepository(entities),
  };
}

function stackError(stackName: string, options: GlobalOptions, error: unknown): CliError {
  const e = error as Error;
  const where = [
    options.profile && `profile ${options.profile}`,
    options.region && `region ${options.region}`,
  ]
    .filter(Boolean)
    .join(', ');
  const suffix = where ? ` (${where})` : '';
  if (e.name === 'ValidationError' && /does not exist/i.test(e.message)) {
    return new CliError(EXIT.unreachable, 'STACK_NOT_FOUND', `stack ${stackName} does not exist${suffix}`, {
      cause: error,
    });
  }
  if (e.name === 'CredentialsProviderError' || /credential/i.test(e.message)) {
    return new CliError(
      EXIT.unreachable,
      'NO_CREDENTIALS',
      `no usable AWS credentials${suffix}: ${e.message} (use --profile <name>, or set the AWS_* variables)`,
      { cause: error },
    );
  }
  if (/region is missing/i.test(e.message)) {
    return new CliError(EXIT.unreachable, 'NO_REGION', 'no AWS region: pass --region, or set AWS_REGION', {
      cause: error,
    });
  }
  return new CliError(
    EXIT.unreachable,
    'STACK_UNREADABLE',
    `cannot read stack ${stackName}${suffix}: ${e.name}: ${e.message}`,
    { cause: error },
  );
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

/** The network error behind an SDK failure (a stopped local stack refuses connections), if any. */
export function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors)) {
      const inner = errors.map(networkErrorCode).find((found) => found !== undefined);
      if (inner) return inner;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
