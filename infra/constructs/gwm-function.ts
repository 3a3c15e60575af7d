import { resolve } from 'node:path';
import { type Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { IndexName } from '../../functions/adapters/table.js';
import { FUNCTION_BUNDLING, FUNCTION_ENTRIES_DIR, PROJECT_ROOT } from '../function-bundling.js';
import { StackEncryption } from './encryption.js';

/**
 * The Lambda runtime every gwm function runs on; pinned so an upgrade is a reviewed change (with
 * FUNCTION_BUNDLING's target).
 */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;

/** DynamoDB actions a function may use on the gwm table, and the indexes it queries. */
export interface TableAccess {
  actions: ReadonlyArray<'GetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'BatchGetItem' | 'BatchWriteItem'>;
  indexes?: readonly IndexName[];
}

export interface GwmFunctionProps {
  /** The entry point's file name in functions/lambda/. */
  entry: string;
  description: string;
  environment: Record<string, string>;
  timeout: Duration;
  memorySize?: number;
  reservedConcurrentExecutions?: number;
  logRetention: RetentionDays;
  table: ITableV2;
  tableAccess: TableAccess;
  /** Files copied beside the bundle (the function reads them from /var/task/<name>). */
  files?: ReadonlyArray<{ source: string; name: string }>;
}

/** Where a file given in `files` is found at run time. */
export function bundledFilePath(name: string): string {
  return `/var/task/${name}`;
}

/**
 * One gwm Lambda function: bundled by the local esbuild with source maps, ARM64, its own log
 * group with a retention, and its own role holding only what the function does (its log
 * group, the table actions it uses; the caller adds the rest).
 */
export class GwmFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: GwmFunctionProps) {
    super(scope, id);
    const logKey = StackEncryption.of(this).logGroups;
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
      encryptionKey: logKey,
    });
    if (logKey === undefined) {
      Validations.of(this.logGroup).acknowledge({
        id: 'HIPAA.Security-CloudWatchLogGroupEncrypted',
        reason:
          'CloudWatch Logs encrypts every log group at rest with its own keys; a deployment that must hold the key names one in encryption.logGroupKeyArn and this log group uses it.',
      });
    }
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `gwm ${id}: ${props.description}`,
    });
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    grantTableAccess(this.role, props.table, props.tableAccess);
    if (StackEncryption.of(this).queues !== undefined) acknowledgeQueueKeyGrants(this.role);
    Validations.of(this.role).acknowledge({
      id: 'HIPAA.Security-IAMNoInlinePolicy',
      reason:
        "The function's permissions are a policy of its own role, created and deleted with it; a managed policy would be one more object others could attach, for no reuse.",
    });

    this.fn = new NodejsFunction(this, 'Function', {
      entry: `${PROJECT_ROOT}${FUNCTION_ENTRIES_DIR}/${props.entry}`,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        ...props.environment,
        // A dimension of every gwm metric: two stacks in one account and region keep their own series.
        STACK_NAME: Stack.of(this).stackName,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        // The local esbuild (a devDependency): no Docker, no network.
        forceDockerBundling: false,
        target: FUNCTION_BUNDLING.target,
        format: FUNCTION_BUNDLING.format === 'cjs' ? OutputFormat.CJS : OutputFormat.ESM,
        minify: FUNCTION_BUNDLING.minify,
        sourceMap: FUNCTION_BUNDLING.sourceMap,
        sourcesContent: FUNCTION_BUNDLING.sourcesContent,
        mainFields: [...FUNCTION_BUNDLING.mainFields],
        // The SDK versions tested here ship with the function instead of the runtime's own.
        bundleAwsSDK: true,
        externalModules: [...FUNCTION_BUNDLING.externalModules],
        ...(props.files?.length ? { commandHooks: copyFiles(props.files) } : {}),
      },
    });
    acknowledgeHipaaFunctionRules(this.fn, props.reservedConcurrentExecutions === undefined);
  }
}

/**
 * A function's failures reach its failure queue through its own role (on-failure destinations), and
 * the cost queue is sent to and read with it: with the deployment's queue key, CDK's queue grants
 * add that key's encrypt and decrypt actions, two of them spelled with a wildcard.
 */
function acknowledgeQueueKeyGrants(role: Role): void {
  for (const action of ['kms:ReEncrypt*', 'kms:GenerateDataKey*']) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Action::${action}]`,
      reason:
        "CDK's grant for sending to (or reading) an SQS queue encrypted with the deployment's queue key: the data-key actions on that one key ARN, nothing else.",
    });
  }
}

/** HIPAA Security findings every gwm function shares, and why each is left as it is. */
function acknowledgeHipaaFunctionRules(fn: NodejsFunction, unreserved: boolean): void {
  const validations = Validations.of(fn);
  validations.acknowledge({
    id: 'HIPAA.Security-LambdaInsideVPC',
    reason:
      'gwm functions reach only AWS service APIs (DynamoDB, S3, HealthOmics, SNS, EventBridge, SQS, CloudWatch), over TLS and authorized by IAM; no private resource needs a VPC, which would add NAT or eight interface endpoints.',
  });
  validations.acknowledge({
    id: 'HIPAA.Security-LambdaDLQ',
    reason:
      "Failures are kept by the function's event source instead of a DLQ: an SQS on-failure destination of its asynchronous invocations or stream mapping, or the cost queue's redrive queue; each of those queues has an alarm.",
  });
  if (unreserved) {
    validations.acknowledge({
      id: 'HIPAA.Security-LambdaConcurrency',
      reason:
        'Its invocations are bounded by their source (manifest uploads, run status events, stream shards, restore completions); a reservation would take from the account and only delay events that retries deliver anyway. Functions whose pace matters (launchers, reconciler, cost collector) are reserved.',
    });
  }
}

/** Bundling hooks that copy files into the bundle's folder once esbuild has written it. */
function copyFiles(files: ReadonlyArray<{ source: string; name: string }>) {
  const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_input: string, output: string) =>
      files.map((file) => `cp ${quote(resolve(file.source))} ${quote(`${output}/${file.name}`)}`),
  };
}

const TABLE_WRITES = new Set<TableAccess['actions'][number]>(['PutItem', 'UpdateItem', 'BatchWriteItem']);

function grantTableAccess(role: Role, table: ITableV2, access: TableAccess): void {
  role.addToPolicy(
    new PolicyStatement({
      actions: access.actions.map((action) => `dynamodb:${action}`),
      resources: [table.tableArn],
    }),
  );
  // A table under a key of the deployment's: DynamoDB uses it on the caller's behalf.
  if (table.encryptionKey !== undefined) {
    const writes = access.actions.some((action) => TABLE_WRITES.has(action));
    role.addToPolicy(
      new PolicyStatement({
        actions: [
          'kms:Decrypt',
          'kms:DescribeKey',
          ...(writes ? ['kms:Encrypt', 'kms:GenerateDataKey'] : []),
        ],
        resources: [table.encryptionKey.keyArn],
      }),
    );
  }
  const indexes = access.indexes ?? [];
  if (indexes.length === 0) return;
  role.addToPolicy(
    new PolicyStatement({
      actions: ['dynamodb:Query'],
      resources: indexes.map((index) => `${table.tableArn}/index/${index}`),
    }),
  );
}
