/**
 * What the embedded runtime names its resources and the settings its handlers run with, unless
 * `gwm up`, a test or the chaos harness says otherwise.
 */

/** Names the local stack gives its resources; the example manifests use these buckets. */
export const LOCAL_NAMES = {
  region: 'us-east-1',
  accountId: '123456789012',
  tableName: 'gwm-launches',
  manifestBucket: 'gwm-manifests',
  inputBucket: 'gwm-lab-inputs',
  outputBucket: 'gwm-lab-results',
  omicsRoleArn: 'arn:aws:iam::123456789012:role/gwm-local-omics',
  topicArn: 'arn:aws:sns:us-east-1:123456789012:gwm-notifications',
  eventBusName: 'gwm-events',
} as const;

/**
 * gwm settings on the local stack (environment variables, as the deployed functions read them),
 * where they differ from the deployed defaults.
 */
export const LOCAL_DEFAULT_SETTINGS: Readonly<Record<string, string>> = {
  // The local engine's quota is 10/s; gwm paces below it so throttling stays the exception.
  STARTRUN_RATE_PER_SECOND: '5',
  STARTRUN_BURST: '5',
  STARTRUN_BACKOFF_BASE_MS: '200',
  STARTRUN_BACKOFF_MAX_MS: '2000',
  LOG_EXCERPT_LINES: '20',
  // Runs take seconds here, not hours: the reconciler's thresholds are seconds (RECONCILE_AFTER_MINUTES_*
  // read as seconds), so a launch a restart left behind is repaired within a minute.
  RECONCILE_TIME_UNIT_SECONDS: '1',
  RECONCILE_AFTER_MINUTES_RUNNING: '60',
  // A launch a killed launcher left SUBMITTING may be taken over after 30 s (StartRun is sent again
  // with the same requestId, so the engine answers with the run it made, if it made one).
  CLAIM_LEASE_SECONDS: '30',
  // A queued launch whose stream record a kill lost is told to the launcher again after 30 s.
  RECONCILE_AFTER_MINUTES_QUEUED: '30',
  // An intake that died mid-registration holds its batch's lease until it expires: short here, so
  // the upload's last retry (after the lease, below) takes the registration over.
  REGISTRATION_LEASE_SECONDS: '10',
  // A registration every delivery of its upload event failed on (three attempts, the last one
  // 12 s after the lease above) is finished by the reconciler after 30 s without a change.
  RECONCILE_AFTER_MINUTES_REGISTRATION: '30',
};

/** How long an intake holds a batch's registration lease here, in ms. */
export function registrationLeaseMs(settings: Record<string, string> | undefined): number {
  const seconds = Number(
    settings?.REGISTRATION_LEASE_SECONDS ?? LOCAL_DEFAULT_SETTINGS.REGISTRATION_LEASE_SECONDS,
  );
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 60) * 1000;
}
