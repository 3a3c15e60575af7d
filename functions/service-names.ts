import type { METRICS } from '../domain/metrics.js';

/**
 * Each function's service name: its log lines carry it as `service`, and Powertools Metrics
 * publishes every metric with the dimension `service` set to it. The Lambda entry points, the
 * dashboard and the alarms all read this object, so a metric is always looked for where it is sent.
 */
export const SERVICE_NAMES = {
  intake: 'gwm-intake',
  launcher: 'gwm-launcher',
  tracker: 'gwm-tracker',
  aggregator: 'gwm-aggregator',
  reconciler: 'gwm-reconciler',
  costCollector: 'gwm-cost-collector',
  restoreTracker: 'gwm-restore-tracker',
} as const;

export type ServiceKey = keyof typeof SERVICE_NAMES;

/** The dimension Powertools Metrics adds to every metric it publishes (the service name). */
export const SERVICE_DIMENSION = 'service';

/**
 * The dimension every gwm metric carries besides `service`: the stack's name, so two stacks in one
 * account and region keep their own series, dashboards and alarms.
 */
export const STACK_DIMENSION = 'stack';

/**
 * Which functions count each metric. A metric counted by several (a run's terminal status is
 * applied by the tracker or by the reconciler, whichever learns it first) is the sum of their
 * series. A unit test checks this against what each handler counts.
 */
export const METRIC_EMITTERS: Record<keyof typeof METRICS, readonly ServiceKey[]> = {
  launchesRegistered: ['intake'],
  manifestsAccepted: ['intake'],
  manifestsRejected: ['intake'],
  manifestsDuplicate: ['intake'],
  runsStarted: ['launcher'],
  restoresRequested: ['intake', 'launcher', 'restoreTracker'],
  restoresCompleted: ['restoreTracker'],
  restoresFailed: ['intake', 'launcher', 'restoreTracker'],
  runsCompleted: ['tracker', 'reconciler'],
  runsFailed: ['tracker', 'reconciler'],
  startRunThrottled: ['launcher'],
  launchesDeferred: ['launcher'],
  launchFailed: ['launcher'],
  retriesStarted: ['launcher'],
  retriesRefused: ['launcher'],
  editsRefused: ['launcher'],
  cancelsApplied: ['launcher'],
  cancelsRefused: ['launcher'],
  itemsUnreadable: ['launcher', 'aggregator', 'reconciler'],
  statusApplied: ['tracker'],
  statusIgnored: ['tracker'],
  statusLatency: ['tracker'],
  eventsNotOurs: ['tracker'],
  outcomesCounted: ['aggregator'],
  batchesCompleted: ['aggregator'],
  batchesReopened: ['aggregator'],
  qcStarted: ['aggregator'],
  qcSkipped: ['aggregator'],
  notificationsSent: ['intake', 'aggregator'],
  notificationsResent: ['aggregator'],
  reconcilerChecked: ['reconciler'],
  reconcilerRepairs: ['reconciler'],
  reconcilerRequeued: ['reconciler'],
  reconcilerLeft: ['reconciler'],
  // The scheduled repairs: the reconciler and the sweeps of the functions that own the rest.
  reconcilerErrors: ['reconciler', 'intake', 'restoreTracker', 'aggregator'],
  batchesRecounted: ['aggregator'],
  registrationsResumed: ['intake'],
  runCostUsd: ['costCollector'],
  runsPriced: ['costCollector'],
  runsNotPriced: ['costCollector'],
  costCollectionErrors: ['costCollector'],
  launchesWaiting: ['reconciler'],
  oldestWaitingAge: ['reconciler'],
  launchesOverdue: ['reconciler'],
  batchDuration: ['aggregator'],
};
