import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { COST_EVENT_SOURCE } from '../../functions/event-sources.js';
import { failureQueue, queueEncryption } from './failure-queue.js';
import { bundledFilePath, GwmFunction } from './gwm-function.js';
import { allowRunTaskReads } from './omics.js';

export interface CostCollectorProps {
  table: ITableV2;
  environment: Record<string, string>;
  logRetention: RetentionDays;
  /** The aggregator: it sends every finished run attempt to the cost queue. */
  aggregator: GwmFunction;
  /** The deployment's own price list (deploy setting `priceListFile`), bundled with the collector. */
  priceListFile?: string;
}

/** The name the deployment's price list is bundled under. */
const PRICE_LIST_BUNDLED = 'price-list.json';

/** The collector's timeout; it stops reading tasks COST_RESERVE before it and sends the request again. */
export const COST_COLLECTOR_TIMEOUT = Duration.minutes(5);
/** Deliveries of one request before it is dead-lettered (each failed one, not each time box). */
export const COST_MAX_RECEIVES = COST_EVENT_SOURCE.maxReceiveCount;
/** Collectors at once: each takes engine reads from the reconciler's bucket, so a few are plenty. */
export const COST_COLLECTOR_CONCURRENCY = COST_EVENT_SOURCE.maxConcurrency;

/**
 * The cost collector: a queue of finished run attempts (fed by the aggregator, after
 * the status is stored) and the function that prices each one from its run's tasks, adds it to
 * its batch once and stores it on the launch. Off the status path: a slow or failing collection
 * delays nothing but the cost.
 */
export class CostCollector extends Construct {
  readonly queue: Queue;
  readonly failures: Queue;
  readonly function: GwmFunction;

  constructor(scope: Construct, id: string, props: CostCollectorProps) {
    super(scope, id);
    this.failures = failureQueue(this, 'Failures');
    this.queue = new Queue(this, 'Queue', {
      ...queueEncryption(this),
      enforceSSL: true,
      // Longer than one invocation, so a request is never handed to a second collector while the first works on it.
      visibilityTimeout: COST_COLLECTOR_TIMEOUT.plus(Duration.minutes(1)),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.failures, maxReceiveCount: COST_MAX_RECEIVES },
    });
    const environment = { COST_QUEUE_URL: this.queue.queueUrl };
    const priceList = props.priceListFile
      ? { PRICE_LIST_FILE: bundledFilePath(PRICE_LIST_BUNDLED) }
      : ({} as Record<string, string>);
    this.function = new GwmFunction(this, 'Collector', {
      entry: 'cost-collector.entry.ts',
      description: 'Prices each finished run attempt from its tasks; adds it to its batch once',
      environment: { ...props.environment, ...environment, ...priceList },
      files: props.priceListFile ? [{ source: props.priceListFile, name: PRICE_LIST_BUNDLED }] : [],
      timeout: COST_COLLECTOR_TIMEOUT,
      reservedConcurrentExecutions: COST_COLLECTOR_CONCURRENCY,
      logRetention: props.logRetention,
      table: props.table,
      // Cost marks and batch totals (one transaction of a Put and an Update), the launch's cost
      // (a conditional put), the engine-reads token bucket.
      tableAccess: { actions: ['GetItem', 'PutItem', 'UpdateItem'] },
    });
    allowRunTaskReads(this.function.role, this);
    // A request paused at its time box is sent again by the collector itself.
    this.queue.grantSendMessages(this.function.role);
    this.function.fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: COST_EVENT_SOURCE.batchSize,
        reportBatchItemFailures: COST_EVENT_SOURCE.reportBatchItemFailures,
        maxConcurrency: COST_COLLECTOR_CONCURRENCY,
      }),
    );
    this.queue.grantSendMessages(props.aggregator.role);
    for (const [name, value] of Object.entries(environment)) props.aggregator.fn.addEnvironment(name, value);
  }
}
