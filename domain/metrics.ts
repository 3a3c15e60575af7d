/**
 * Metric names and dimensions: the handlers emit them (EMF), the dashboard and alarms read them.
 * Nothing else spells these strings.
 */
export const METRIC_NAMESPACE = 'gwm';

export const METRICS = {
  launchesRegistered: 'LaunchesRegistered',
  manifestsAccepted: 'ManifestsAccepted',
  manifestsRejected: 'ManifestsRejected',
  manifestsDuplicate: 'ManifestsDuplicate',
  runsStarted: 'RunsStarted',
  /** RestoreObject calls S3 accepted for archived inputs (one per object, however many launches wait). */
  restoresRequested: 'RestoresRequested',
  /** Archived inputs found restored (S3's event, or the reconciler's HeadObject). */
  restoresCompleted: 'RestoresCompleted',
  /** Archived inputs that could not be restored: their waiting launches end LAUNCH_FAILED. */
  restoresFailed: 'RestoresFailed',
  /** Runs that reached COMPLETED / FAILED, counted where the status is applied (tracker or reconciler). */
  runsCompleted: 'RunsCompleted',
  runsFailed: 'RunsFailed',
  startRunThrottled: 'StartRunThrottled',
  launchesDeferred: 'LaunchesDeferred',
  launchFailed: 'LaunchFailed',
  retriesStarted: 'RetriesStarted',
  retriesRefused: 'RetriesRefused',
  /** Console edits of `status` gwm does not accept (typos, statuses only gwm sets): put back with a note. */
  editsRefused: 'ConsoleEditsRefused',
  /** CANCEL requests carried out: a launch without a run ended, or CancelRun sent. */
  cancelsApplied: 'CancelsApplied',
  /** CANCEL requests refused (the launch had finished, or HealthOmics refused CancelRun). */
  cancelsRefused: 'CancelsRefused',
  /** Items that fail their schema (a console edit broke them): skipped and reported, never blocking others. */
  itemsUnreadable: 'ItemsUnreadable',
  statusApplied: 'StatusApplied',
  statusIgnored: 'StatusIgnored',
  /** Milliseconds from a run status event's time to its status being applied to the launch. */
  statusLatency: 'StatusLatency',
  eventsNotOurs: 'RunEventsNotOurs',
  outcomesCounted: 'LaunchOutcomesCounted',
  batchesCompleted: 'BatchesCompleted',
  batchesReopened: 'BatchesReopened',
  qcStarted: 'QcStarted',
  qcSkipped: 'QcSkipped',
  notificationsSent: 'NotificationsSent',
  /** Batch notifications the reconciler sent again after their sender stopped mid-send. */
  notificationsResent: 'NotificationsResent',
  reconcilerChecked: 'ReconcilerLaunchesChecked',
  reconcilerRepairs: 'ReconcilerRepairs',
  reconcilerRequeued: 'ReconcilerRequeued',
  /** Stale launches beyond one run's bound: they wait for the next run. */
  reconcilerLeft: 'ReconcilerLaunchesLeft',
  /** Stale launches a run could not reconcile (an engine or table fault). */
  reconcilerErrors: 'ReconcilerErrors',
  /** Open batches the reconciler recounted from their launches and that changed (a lost outcome). */
  batchesRecounted: 'BatchesRecounted',
  /** Registrations the reconciler finished after every delivery of their upload event failed. */
  registrationsResumed: 'RegistrationsResumed',
  /** A priced run attempt's total in USD, with the dimension `workflow` (COST_DIMENSIONS): the cost dashboard sums it. */
  runCostUsd: 'RunCostUsd',
  /** Run attempts priced and added to their batch's cost (each once). */
  runsPriced: 'RunsPriced',
  /** Finished attempts with nothing to price: no run, or a run the engine no longer knows. */
  runsNotPriced: 'RunsNotPriced',
  /** Cost requests that failed (an engine or table fault): the queue delivers them again, then dead-letters them. */
  costCollectionErrors: 'CostCollectionErrors',
  /** Launches waiting to start, per waiting status (dimension `status`, WAITING_DIMENSIONS): the reconciler counts them each run. */
  launchesWaiting: 'LaunchesWaiting',
  /** Age in seconds of the oldest launch waiting in each waiting status (dimension `status`). */
  oldestWaitingAge: 'OldestWaitingAgeSeconds',
  /**
   * Seconds the oldest launch the launcher could start now (its team not held at its
   * `maxInFlight`) has waited beyond the time the configured StartRun rate needs to start every
   * such launch, plus a margin (domain/scheduling/waiting.ts). 0 while the queue drains at its pace.
   */
  launchesOverdue: 'LaunchesOverdueSeconds',
  /** Seconds from a batch's registration to its completion, emitted once when the batch completes. */
  batchDuration: 'BatchDurationSeconds',
} as const;

/** The dimension LaunchesWaiting and OldestWaitingAgeSeconds carry besides `service` and `stack`. */
export const WAITING_DIMENSIONS = { status: 'status' } as const;

/** The dimension RunCostUsd carries besides `service`: the engine workflow id. */
export const COST_DIMENSIONS = { workflow: 'workflow' } as const;

/** A metric by its key in METRICS (`runsStarted`), as the dashboards and alarms name it. */
export type MetricKey = keyof typeof METRICS;
export type MetricName = (typeof METRICS)[MetricKey];
