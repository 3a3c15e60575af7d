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
  startRunThrottled: 'StartRunThrottled',
  launchesDeferred: 'LaunchesDeferred',
  launchFailed: 'LaunchFailed',
  retriesStarted: 'RetriesStarted',
  retriesRefused: 'RetriesRefused',
  statusApplied: 'StatusApplied',
  statusIgnored: 'StatusIgnored',
  eventsNotOurs: 'RunEventsNotOurs',
  outcomesCounted: 'LaunchOutcomesCounted',
  batchesCompleted: 'BatchesCompleted',
  batchesReopened: 'BatchesReopened',
  qcStarted: 'QcStarted',
  qcSkipped: 'QcSkipped',
  notificationsSent: 'NotificationsSent',
  reconcilerChecked: 'ReconcilerLaunchesChecked',
  reconcilerRepairs: 'ReconcilerRepairs',
} as const;

export type MetricName = (typeof METRICS)[keyof typeof METRICS];
