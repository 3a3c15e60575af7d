import type { Command } from 'commander';
import { uploadExampleInputs } from '../../examples/example-inputs.js';
import {
  DashboardPortError,
  type DashboardServer,
  DEFAULT_DASHBOARD_PORT,
  startDashboardServer,
} from '../../infra/local/dashboard/dashboard-server.js';
import { readEndpoints, stateDirFrom } from '../../infra/local/endpoints.js';
import { LOCAL_NAMES, type LocalLog, type LocalStack, startLocalStack } from '../../infra/local/stack.js';
import { EXIT } from '../exit-codes.js';
import { type Colors, stderrColors, stdoutColors } from '../io.js';

interface UpOptions {
  dynamodbPort?: string;
  s3Port?: string;
  enginePort?: string;
  reconcileEvery: string;
  startRunRate?: string;
  dashboardPort?: string;
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description(
      'Start the local stack (DynamoDB Local, S3, HealthOmics engine, stream pump, event router, reconciler) and keep it running until Ctrl-C',
    )
    .option('--dynamodb-port <port>', 'DynamoDB Local port (default: a free port)')
    .option('--s3-port <port>', 'local S3 port (default: a free port)')
    .option('--engine-port <port>', 'local HealthOmics engine port (default: a free port)')
    .option('--reconcile-every <seconds>', 'how often the reconciler runs', '5')
    .option('--start-run-rate <perSecond>', 'StartRun calls per second gwm paces to (the engine allows 10)')
    .option(
      '--dashboard-port <port>',
      `port of the dashboard on 127.0.0.1 (default: ${DEFAULT_DASHBOARD_PORT}, or a free one if that is taken)`,
    )
    .action(async (options: UpOptions, command: Command) => {
      const globals = command.optsWithGlobals<{ stateDir?: string }>();
      const stateDir = stateDirFrom(globals.stateDir);
      const running = await readEndpoints(stateDir);
      if (running) {
        process.stderr.write(
          `A local stack is already running from ${stateDir} (process ${running.pid}).\n` +
            'Use it as it is, or stop it (Ctrl-C in its terminal) before starting another.\n',
        );
        process.exitCode = EXIT.unreachable;
        return;
      }
      const out = (line = '') => process.stdout.write(`${line}\n`);
      const colors = stdoutColors();
      out(`Starting the local stack in ${stateDir} ...`);
      let stack: LocalStack;
      try {
        stack = await startLocalStack({
          stateDir,
          ports: {
            dynamodb: portOption(options.dynamodbPort, '--dynamodb-port'),
            s3: portOption(options.s3Port, '--s3-port'),
            engine: portOption(options.enginePort, '--engine-port'),
          },
          reconcileEveryMs: Number(options.reconcileEvery) * 1000,
          settings:
            options.startRunRate === undefined
              ? undefined
              : { STARTRUN_RATE_PER_SECOND: options.startRunRate },
          log: printLog,
          onNotice: (notice, rendered) => {
            out(colors.bold(`notification (${notice.kind}): ${rendered.subject}`));
            out(indent(rendered.text));
          },
        });
      } catch (error) {
        process.stderr.write(`Could not start the local stack: ${(error as Error).message}\n`);
        process.exitCode = EXIT.unreachable;
        return;
      }
      const added = await uploadExampleInputs(stack.s3, LOCAL_NAMES.inputBucket);
      if (added > 0)
        out(
          `Added ${added} example FASTQ files to s3://${LOCAL_NAMES.inputBucket}/ for the example manifests.`,
        );
      let dashboard: DashboardServer;
      try {
        dashboard = await serveDashboard(stack, options.dashboardPort);
      } catch (error) {
        process.stderr.write(`Could not serve the dashboard: ${(error as Error).message}\n`);
        await stack.stop();
        process.exitCode = EXIT.unreachable;
        return;
      }
      out(upBanner(stack, colors, dashboard.url));
      await waitForSignal();
      out('Stopping the local stack ...');
      await dashboard.stop();
      await stack.stop();
      out('Stopped. Data is kept in the state folder; `gwm up` picks it up again.');
    });
}

/** Endpoints and commands a person can paste into another terminal. */
export function upBanner(stack: LocalStack, colors: Colors, dashboardUrl: string): string {
  const e = stack.endpoints;
  const lines = [
    colors.green('The local stack is up.'),
    '',
    `  S3                 ${e.s3Endpoint}   buckets: ${e.manifestBucket} (manifests), ${e.inputBucket}, ${e.outputBucket}`,
    `  DynamoDB           ${e.dynamodbEndpoint}   table: ${e.tableName}`,
    `  HealthOmics        ${e.omicsEndpoint}`,
    `  runs and logs      ${e.runsDir}`,
    `  notifications      ${e.outboxDir}/sns.jsonl, events.jsonl`,
    `  endpoints file     ${stack.stateDir}/endpoints.json`,
    `  dashboard          ${dashboardUrl}`,
    '',
    'Try it with the AWS CLI (in another terminal):',
    `  export ${LOCAL_AWS_CLI_ENV}`,
    '  # upload a manifest: the seed format and the native format are both accepted',
    `  aws --endpoint-url ${e.s3Endpoint} s3 cp examples/manifests/flowcell-seed.json s3://${e.manifestBucket}/manifests/flowcell-seed.json`,
    '  # list the launches and their status',
    `  aws --endpoint-url ${e.dynamodbEndpoint} dynamodb scan --table-name ${e.tableName} --filter-expression '#e = :l' --expression-attribute-names '{"#e":"__edb_e__","#s":"status"}' --expression-attribute-values '{":l":{"S":"launch"}}' --projection-expression 'pk, sk, launchId, #s, attempt, failureReason' --output table`,
    '  # the runs in the local HealthOmics engine (the export above keeps the CLI from putting workflows- before the host)',
    `  aws --endpoint-url ${e.omicsEndpoint} omics list-runs --query 'items[].[id,name,status]' --output table`,
    `  aws --endpoint-url ${e.omicsEndpoint} omics get-run --id <run id>`,
    '  # retry a failed sample: set its status to RETRY (use the pk and sk from the scan)',
    `  aws --endpoint-url ${e.dynamodbEndpoint} dynamodb update-item --table-name ${e.tableName} --key '{"pk":{"S":"<pk>"},"sk":{"S":"<sk>"}}' --update-expression 'SET #s = :r' --expression-attribute-names '{"#s":"status"}' --expression-attribute-values '{":r":{"S":"RETRY"}}'`,
    '',
    'Or with gwm: gwm submit <manifest.json|samplesheet.csv>, gwm status <batch> --watch, gwm history, gwm retry <launch>',
    '',
    `Press Ctrl-C to stop. Input FASTQ files go in s3://${LOCAL_NAMES.inputBucket}/, results land in s3://${LOCAL_NAMES.outputBucket}/.`,
  ];
  return lines.join('\n');
}

/**
 * What the AWS CLI needs to reach the local stack. Without AWS_DISABLE_HOST_PREFIX_INJECTION,
 * botocore sends HealthOmics calls to workflows-<host> (the service's host prefix), which does
 * not resolve for 127.0.0.1.
 */
export const LOCAL_AWS_CLI_ENV =
  'AWS_ACCESS_KEY_ID=gwmlocal AWS_SECRET_ACCESS_KEY=gwmlocal AWS_DEFAULT_REGION=us-east-1 AWS_DISABLE_HOST_PREFIX_INJECTION=true';

/** The dashboard on its usual port, or (unless the port was asked for) a free one when that is taken. */
async function serveDashboard(stack: LocalStack, port: string | undefined): Promise<DashboardServer> {
  const serve = (on: number) =>
    startDashboardServer({
      stateDir: stack.stateDir,
      table: { batches: stack.deps.batches, launches: stack.deps.launches },
      port: on,
    });
  if (port !== undefined) return serve(portOption(port, '--dashboard-port') ?? 0);
  try {
    return await serve(DEFAULT_DASHBOARD_PORT);
  } catch (error) {
    if (error instanceof DashboardPortError) return serve(0);
    throw error;
  }
}

const printLog: LocalLog = (level, message, details) => {
  if (level === 'info') return;
  const suffix = details && Object.keys(details).length > 0 ? ` ${JSON.stringify(details)}` : '';
  const text = `${level}: ${message}${suffix}`;
  const colors = stderrColors();
  process.stderr.write(`${level === 'error' ? colors.red(text) : colors.yellow(text)}\n`);
};

function portOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a port number between 1 and 65535, not ${JSON.stringify(value)}`);
  }
  return port;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

/** Resolves on Ctrl-C (SIGINT), SIGTERM or a closed terminal (SIGHUP). */
export function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      process.off('SIGHUP', done);
      resolve();
    };
    // A closed terminal (SIGHUP) stops the stack too, rather than leaving DynamoDB Local behind.
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
    process.on('SIGHUP', done);
  });
}
