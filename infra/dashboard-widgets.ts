import { COST_DIMENSIONS, type MetricKey, WAITING_DIMENSIONS } from '../domain/metrics.js';

/**
 * The widgets an operator looks at, once: the CloudWatch dashboard of a deployed stack
 * (infra/constructs/dashboard.ts) and the page `gwm dashboard` serves for the embedded runtime
 * (infra/local/dashboard/) are both built from this list, in this order. Plain data: no CDK, no
 * clock, nothing read.
 */

/** line: over time; bar: one bar per line's value; number: the latest values; table: rows. */
export type WidgetKind = 'line' | 'bar' | 'number' | 'table' | 'alarms' | 'log-table';

export type Statistic = 'Sum' | 'Maximum' | 'Average' | 'SampleCount' | 'p50' | 'p99';

/** A gwm metric the functions send (EMF), summed over the functions that send it. */
export interface GwmSeries {
  source: 'gwm';
  key: MetricKey;
  label: string;
  stat?: Statistic;
  /** One line per value of this dimension (the workflow of a cost, the status of waiting launches). */
  by?: string;
}

/** A metric AWS keeps of gwm's resources. */
export interface AwsSeries {
  source: 'aws';
  namespace: 'AWS/Lambda' | 'AWS/DynamoDB' | 'AWS/SNS' | 'AWS/SQS';
  metricName: string;
  stat: Statistic;
  /** Whose: one line per function / stream consumer / failure queue / topic, or the launcher, or the table. */
  of: 'functions' | 'launcher' | 'stream consumers' | 'table' | 'topics' | 'failure queues';
  label?: string;
}

/** Failed launch attempts (the run FAILED, or StartRun refused it) over all that finished. */
export interface FailureRateSeries {
  source: 'failure rate';
  label: string;
}

export type WidgetSeries = GwmSeries | AwsSeries | FailureRateSeries;

/** Where the embedded runtime's page finds a widget's data. */
export type LocalSource =
  /** The handlers' EMF records, as the local stack collects them in its state folder. */
  | { from: 'metrics' }
  /** The table: every launch by status, the waiting ones with the age of the oldest. */
  | { from: 'table'; view: 'launches by status' }
  /** The table: the recent batches, their samples and their completion time. */
  | { from: 'table'; view: 'batches' }
  /** The local failure queues: the dead-letter files in the state folder. */
  | { from: 'dead letters' }
  /** Nothing real to show locally: said on the widget instead of a made-up number. */
  | { from: 'none'; why: string };

export interface DashboardWidget {
  /** Stable: the local page's element ids and the tests use it. */
  id: string;
  title: string;
  kind: WidgetKind;
  /** Of CloudWatch's 24 columns. */
  width: 6 | 8 | 12 | 24;
  series: WidgetSeries[];
  local: LocalSource[];
  /** A horizontal line: the failure-rate alarm, the iterator-age alarm, the launcher's reserved concurrency. */
  annotation?: 'failure rate threshold' | 'iterator age limit' | 'launcher reserved concurrency';
  /** Costs are read per day; everything else over the dashboard's graph period. */
  period?: 'day';
}

const gwm = (key: MetricKey, label: string, extra: Partial<GwmSeries> = {}): GwmSeries => ({
  source: 'gwm',
  key,
  label,
  ...extra,
});

/** One gwm metric under several statistics, a line each: [label, statistic]. */
const gwmStats = (key: MetricKey, lines: ReadonlyArray<readonly [string, Statistic]>): GwmSeries[] =>
  lines.map(([label, stat]) => gwm(key, label, { stat }));

const fromMetrics: LocalSource[] = [{ from: 'metrics' }];
const NOT_LOCAL_LAMBDA =
  'not on the embedded runtime: its handlers run in one process, not as Lambda functions';

export const DASHBOARD_WIDGETS: readonly DashboardWidget[] = [
  {
    id: 'alarms',
    title: 'Alarms',
    kind: 'alarms',
    width: 24,
    series: [],
    local: [{ from: 'none', why: 'not on the embedded runtime: CloudWatch alarms watch a deployed stack' }],
  },
  {
    id: 'launches',
    title: 'Launches',
    kind: 'line',
    width: 12,
    series: [
      gwm('launchesRegistered', 'registered'),
      gwm('runsStarted', 'runs started'),
      gwm('runsCompleted', 'runs completed'),
      gwm('runsFailed', 'runs failed'),
      gwm('launchFailed', 'StartRun refused'),
      gwm('retriesStarted', 'retries started'),
      gwm('retriesRefused', 'retries refused'),
    ],
    local: fromMetrics,
  },
  {
    id: 'failure-rate',
    title: 'Failure rate (failed / finished launch attempts)',
    kind: 'line',
    width: 12,
    series: [{ source: 'failure rate', label: 'failed / finished' }],
    local: fromMetrics,
    annotation: 'failure rate threshold',
  },
  {
    id: 'launches-waiting',
    title: 'Launches waiting by status (count, oldest age in seconds)',
    kind: 'bar',
    width: 12,
    series: [
      gwm('launchesWaiting', 'waiting', { stat: 'Maximum', by: WAITING_DIMENSIONS.status }),
      gwm('oldestWaitingAge', 'oldest (s)', { stat: 'Maximum', by: WAITING_DIMENSIONS.status }),
    ],
    local: [{ from: 'table', view: 'launches by status' }],
  },
  {
    id: 'launches-overdue',
    title: 'Launches overdue (oldest wait beyond the launch rate, seconds)',
    kind: 'line',
    width: 12,
    series: [gwm('launchesOverdue', 'overdue (s)', { stat: 'Maximum' })],
    local: fromMetrics,
  },
  {
    id: 'batch-completion',
    title: 'Batch completion time (seconds, registration to finish)',
    kind: 'line',
    width: 12,
    series: gwmStats('batchDuration', [
      ['longest', 'Maximum'],
      ['average', 'Average'],
      ['batches finished', 'SampleCount'],
    ]),
    local: [{ from: 'metrics' }, { from: 'table', view: 'batches' }],
  },
  {
    id: 'startrun',
    title: 'StartRun throttles and pacing',
    kind: 'line',
    width: 8,
    series: [
      gwm('runsStarted', 'runs started'),
      gwm('startRunThrottled', 'throttled'),
      gwm('launchesDeferred', 'deferred (queued again)'),
    ],
    local: fromMetrics,
  },
  {
    id: 'launcher-concurrency',
    title: 'Launcher concurrency (against its reserved limit)',
    kind: 'line',
    width: 8,
    series: [
      {
        source: 'aws',
        namespace: 'AWS/Lambda',
        metricName: 'ConcurrentExecutions',
        stat: 'Maximum',
        of: 'launcher',
        label: 'launchers running',
      },
    ],
    local: [{ from: 'none', why: NOT_LOCAL_LAMBDA }],
    annotation: 'launcher reserved concurrency',
  },
  {
    id: 'dynamodb-throttles',
    title: 'DynamoDB throttles',
    kind: 'line',
    width: 8,
    series: [
      {
        source: 'aws',
        namespace: 'AWS/DynamoDB',
        metricName: 'ThrottledRequests',
        stat: 'Sum',
        of: 'table',
        label: 'throttled requests',
      },
    ],
    local: [{ from: 'none', why: 'not on the embedded runtime: DynamoDB Local does not throttle' }],
  },
  {
    id: 'sns-failures',
    title: 'Notification delivery failures (SNS)',
    kind: 'line',
    width: 12,
    series: [
      {
        source: 'aws',
        namespace: 'AWS/SNS',
        metricName: 'NumberOfNotificationsFailed',
        stat: 'Sum',
        of: 'topics',
      },
    ],
    local: [
      {
        from: 'none',
        why: 'not on the embedded runtime: notifications are written to the outbox folder, not delivered',
      },
    ],
  },
  {
    id: 'dead-letters',
    title: 'Dead-letter queue depth',
    kind: 'line',
    width: 12,
    series: [
      {
        source: 'aws',
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        stat: 'Maximum',
        of: 'failure queues',
      },
    ],
    local: [{ from: 'dead letters' }],
  },
  {
    id: 'reconciler-backlog',
    title: 'Reconciler backlog',
    kind: 'line',
    width: 12,
    series: [
      gwm('reconcilerChecked', 'stale launches checked'),
      gwm('reconcilerLeft', 'left for the next run'),
      gwm('reconcilerErrors', 'not reconciled'),
    ],
    local: fromMetrics,
  },
  {
    id: 'reconciler',
    title: 'Reconciler',
    kind: 'line',
    width: 12,
    series: [
      gwm('reconcilerRepairs', 'repairs'),
      gwm('reconcilerRequeued', 'waiting launches told again'),
      gwm('reconcilerLeft', 'left for the next run'),
      gwm('reconcilerErrors', 'not reconciled'),
      gwm('notificationsResent', 'batch notifications sent again'),
      gwm('batchesRecounted', 'batches recounted'),
      gwm('registrationsResumed', 'registrations resumed'),
    ],
    local: fromMetrics,
  },
  {
    id: 'manifests-and-batches',
    title: 'Manifests and batches',
    kind: 'line',
    width: 12,
    series: [
      gwm('manifestsAccepted', 'manifests accepted'),
      gwm('manifestsRejected', 'manifests rejected'),
      gwm('manifestsDuplicate', 'manifests already handled'),
      gwm('outcomesCounted', 'outcomes counted'),
      gwm('batchesCompleted', 'batches completed'),
      gwm('batchesReopened', 'batches reopened'),
      gwm('qcStarted', 'QC started'),
      gwm('qcSkipped', 'QC skipped'),
      gwm('notificationsSent', 'notifications sent'),
    ],
    local: fromMetrics,
  },
  {
    id: 'console-edits',
    title: 'Console edits',
    kind: 'line',
    width: 12,
    series: [
      gwm('editsRefused', 'edits put back'),
      gwm('cancelsApplied', 'cancels carried out'),
      gwm('cancelsRefused', 'cancels refused'),
      gwm('itemsUnreadable', 'unreadable items skipped'),
    ],
    local: fromMetrics,
  },
  {
    id: 'run-status-events',
    title: 'Run status events',
    kind: 'line',
    width: 12,
    series: [
      gwm('statusApplied', 'applied'),
      gwm('statusIgnored', 'ignored'),
      gwm('eventsNotOurs', 'not ours'),
    ],
    local: fromMetrics,
  },
  {
    id: 'status-latency',
    title: 'Status latency (event time to applied, ms)',
    kind: 'line',
    width: 12,
    series: gwmStats('statusLatency', [
      ['p50', 'p50'],
      ['p99', 'p99'],
      ['max', 'Maximum'],
    ]),
    local: fromMetrics,
  },
  {
    id: 'cost-per-workflow',
    title: 'Cost per workflow per day (USD)',
    kind: 'line',
    width: 12,
    series: [
      gwm('runCostUsd', 'workflow', { by: COST_DIMENSIONS.workflow }),
      gwm('runCostUsd', 'all workflows'),
    ],
    local: fromMetrics,
    period: 'day',
  },
  {
    id: 'cost-collection',
    title: 'Cost collection',
    kind: 'line',
    width: 12,
    series: [
      gwm('runsPriced', 'run attempts priced'),
      gwm('runsNotPriced', 'not priced (no run, or removed)'),
      gwm('costCollectionErrors', 'collection errors (retried)'),
    ],
    local: fromMetrics,
  },
  {
    id: 'restores',
    title: 'Archived inputs being restored',
    kind: 'line',
    width: 24,
    series: [
      gwm('restoresRequested', 'restores asked of S3'),
      gwm('restoresCompleted', 'restored'),
      gwm('restoresFailed', 'could not be restored (launches failed)'),
    ],
    local: fromMetrics,
  },
  lambdaWidget('lambda-errors', 'Lambda errors', 'Errors', 'Sum'),
  lambdaWidget('lambda-duration', 'Lambda duration (p99)', 'Duration', 'p99'),
  lambdaWidget('lambda-throttles', 'Lambda throttles', 'Throttles', 'Sum'),
  {
    id: 'iterator-age',
    title: 'Stream iterator age (max)',
    kind: 'line',
    width: 24,
    series: [
      {
        source: 'aws',
        namespace: 'AWS/Lambda',
        metricName: 'IteratorAge',
        stat: 'Maximum',
        of: 'stream consumers',
      },
    ],
    local: [{ from: 'none', why: NOT_LOCAL_LAMBDA }],
    annotation: 'iterator age limit',
  },
  {
    id: 'recent-failures',
    title: 'Recent failures and their reasons',
    kind: 'log-table',
    width: 24,
    series: [],
    local: [
      {
        from: 'none',
        why: "not on the embedded runtime: its handlers do not keep logs (a run's log: gwm logs <launch>)",
      },
    ],
  },
];

/** One of Lambda's own metrics, a line per function; Lambda's alone, so not on the embedded runtime. */
function lambdaWidget(id: string, title: string, metricName: string, stat: Statistic): DashboardWidget {
  return {
    id,
    title,
    kind: 'line',
    width: 8,
    series: [{ source: 'aws', namespace: 'AWS/Lambda', metricName, stat, of: 'functions' }],
    local: [{ from: 'none', why: NOT_LOCAL_LAMBDA }],
  };
}
