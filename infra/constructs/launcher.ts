import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LAUNCHER_EVENT_SOURCE } from '../../functions/event-sources.js';
import { GwmFunction } from './gwm-function.js';
import { allowCancelRun, allowInputRestores, allowStartRun } from './omics.js';
import { consumeStream } from './stream-source.js';

export interface LauncherProps {
  table: ITableV2;
  environment: Record<string, string>;
  /** The service role runs get; the launcher may pass it to HealthOmics and nowhere else. */
  serviceRole: IRole;
  logRetention: RetentionDays;
  /** Covers a whole stream batch of launches, each with its full StartRun budget. */
  timeoutSeconds: number;
  /** Launchers running at once: they share the StartRun token bucket. */
  concurrency: number;
  /** The allowed input prefixes: an archived input whose copy expired before its run is restored again. */
  inputPrefixes: readonly string[];
}

/**
 * The launcher: a consumer of the table's stream (QUEUED, THROTTLED, RETRY launches) that
 * claims each launch and starts its run, paced by the token bucket in the table.
 */
export class Launcher extends Construct {
  readonly function: GwmFunction;
  readonly failures: Queue;

  constructor(scope: Construct, id: string, props: LauncherProps) {
    super(scope, id);
    this.function = new GwmFunction(this, 'Launcher', {
      entry: 'launcher.entry.ts',
      description: 'Claims launchable launches and starts their HealthOmics runs, paced',
      environment: props.environment,
      timeout: Duration.seconds(props.timeoutSeconds),
      // A bound on concurrent launchers keeps the token bucket's worst-case wait, and so the timeout, known.
      reservedConcurrentExecutions: props.concurrency,
      logRetention: props.logRetention,
      table: props.table,
      // The launch (claim, record: conditional puts) and the token bucket item.
      // UpdateItem: the fair share's passes, and the note on an item a console edit made unreadable.
      // The launch queue: open batches (gsi2), waiting and in-flight launches (queue), team items
      // (Query on the table), passes (BatchGetItem).
      tableAccess: {
        actions: ['GetItem', 'PutItem', 'UpdateItem', 'Query', 'BatchGetItem'],
        indexes: ['gsi2', 'queue'],
      },
    });
    allowStartRun(this.function.role, this, props.serviceRole);
    allowCancelRun(this.function.role, this);
    allowInputRestores(this.function.role, props.inputPrefixes);
    this.failures = consumeStream(this, this.function.fn, props.table, LAUNCHER_EVENT_SOURCE);
  }
}
