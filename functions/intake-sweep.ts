import type { ScheduledEvent } from 'aws-lambda';
import { describeError } from '../domain/errors.js';
import { METRICS } from '../domain/metrics.js';
import type { ManifestObjectReader } from '../domain/ports.js';
import type { IntakeDeps } from '../domain/use-cases/intake.js';
import { type HeldBatchReport, releaseHeldBatches } from '../domain/use-cases/release-held-batches.js';
import {
  type RegistrationResumeOptions,
  type RegistrationResumeReport,
  resumeRegistrations,
} from '../domain/use-cases/resume-registrations.js';
import type { Telemetry } from './adapters/telemetry.js';

export interface IntakeSweepDeps {
  /** Registrations whose intake stopped for good are finished from their source manifest. */
  registrations: {
    intake: Omit<IntakeDeps, 'owner'>;
    manifests: ManifestObjectReader;
    /** The registration lease holder, one per run. */
    newOwner: () => string;
    options: RegistrationResumeOptions;
  };
  telemetry: Telemetry;
}

export interface IntakeSweepResult {
  registrations: RegistrationResumeReport;
  held: HeldBatchReport;
}

/**
 * Scheduled, in the intake function -> finish registrations whose intake stopped for good (every
 * delivery of the upload event failed), and settle batches held over their budget that a person
 * released or rejected.
 */
export function makeIntakeSweep(deps: IntakeSweepDeps) {
  const { count } = deps.telemetry;
  return async (_event: ScheduledEvent): Promise<IntakeSweepResult> => {
    const registrations = await resumeStalledRegistrations(deps);
    const held = await settleHeldBatches(deps);
    // A registration that cannot be resumed is one more thing this run could not reconcile.
    count(
      METRICS.reconcilerErrors,
      registrations.errors.length + registrations.unresumable.length + held.errors.length,
    );
    return { registrations, held };
  };
}

/**
 * A registration that cannot be resumed (its manifest gone or overwritten) counts as not
 * reconciled, and its log line says to upload the manifest again.
 */
async function resumeStalledRegistrations(deps: IntakeSweepDeps): Promise<RegistrationResumeReport> {
  const { logger, count } = deps.telemetry;
  const { intake, manifests, newOwner, options } = deps.registrations;
  let report: RegistrationResumeReport;
  try {
    report = await resumeRegistrations({ intake: { ...intake, owner: newOwner() }, manifests }, options);
  } catch (error) {
    // The listing itself failed (a batch item a console edit broke, a table fault): the held
    // batches after this step are still settled.
    const message = describeError(error);
    report = { checked: 0, resumed: [], unresumable: [], busy: [], errors: [{ batchId: '?', message }] };
  }
  count(METRICS.registrationsResumed, report.resumed.length);
  for (const resumed of report.resumed) logger.warn('registration resumed', { ...resumed });
  for (const stuck of report.unresumable) {
    logger.error('registration cannot be resumed; upload the manifest again', { ...stuck });
  }
  for (const batchId of report.busy) logger.info('registration left to another invocation', { batchId });
  for (const problem of report.errors) logger.warn('registration not resumed', { ...problem });
  return report;
}

/**
 * Batches held over their budget that a person released (raised `budgetMaxUsd`) or rejected
 * (`status` REJECTED): released as the intake releases a batch, or rewritten REJECTED.
 */
async function settleHeldBatches(deps: IntakeSweepDeps): Promise<HeldBatchReport> {
  const { logger } = deps.telemetry;
  let report: HeldBatchReport;
  try {
    report = await releaseHeldBatches(deps.registrations.intake, deps.registrations.options);
  } catch (error) {
    const message = describeError(error);
    report = { checked: 0, released: [], rejected: [], held: [], errors: [{ batchId: '?', message }] };
  }
  for (const released of report.released) logger.info('held batch released', { ...released });
  for (const batchId of report.rejected) logger.info('held batch rejected', { batchId });
  for (const problem of report.errors) logger.warn('held batch not settled', { ...problem });
  return report;
}
