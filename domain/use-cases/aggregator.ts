import { type Batch, batchDurationSeconds } from '../batch.js';
import {
  type BatchStep,
  countOutcome,
  nextBatchStep,
  oversizedQcParameters,
  qcLaunchFor,
  sampleOutputsListUriFor,
} from '../completion.js';
import { isTerminal, type Launch, qcLaunchIdFor } from '../launch.js';
import { renderTemplate, templateReferences } from '../manifest/template.js';
import { type Notifier, noticeBatch } from '../notifications.js';
import type { BatchRepository, LaunchRepository, ObjectStore, OutcomeLedger } from '../ports.js';
import { notifyCompletion, sampleOutcome } from './batch-notification.js';

export interface CompletionDeps {
  launches: LaunchRepository;
  batches: BatchRepository;
  ledger: OutcomeLedger;
  notifier: Notifier;
  /** Where the QC run's list of sample outputs is written. */
  objects: ObjectStore;
  now: () => Date;
  /** Named in notifications, so people know where to set RETRY. */
  tableName?: string;
}

export type CompletionOutcome = {
  counted: boolean;
  launchFailedNotice?: 'sent' | 'off' | Error;
  /** Why QC was skipped, when this call skipped it. */
  qcSkipped?: string;
  steps: BatchStep['kind'][];
  notified: boolean;
  batchStatus?: Batch['status'];
  /** Seconds from registration to finish, when this call finished the batch (once per round). */
  batchDurationSeconds?: number;
};

const ROUNDS = 8;
const PAGE = 500;

/**
 * Handles one change of a launch: counts its outcome on the batch (each attempt once), then moves
 * the batch on as far as its state allows: reopen after a retry, start QC once, finish, notify
 * once per round. Every step is decided from stored state, so a redelivered record repeats
 * nothing that already happened.
 */
export async function aggregateCompletion(
  deps: CompletionDeps,
  ref: { batchId: string; launchId: string },
): Promise<CompletionOutcome> {
  const outcome: CompletionOutcome = { counted: false, steps: [], notified: false };
  const launch = await deps.launches.get(ref.batchId, ref.launchId);
  // A first attempt being claimed or running cannot change its batch: most records stop here.
  if (launch && launch.attempt === 1 && !isTerminal(launch.status)) return outcome;
  if (launch?.kind === 'SAMPLE') outcome.counted = await countLaunch(deps, launch);
  if (launch && outcome.counted && (launch.status === 'FAILED' || launch.status === 'LAUNCH_FAILED')) {
    outcome.launchFailedNotice = await notifyLaunchFailed(deps, launch);
  }
  await advanceBatch(deps, ref.batchId, outcome);
  return outcome;
}

/**
 * Optional per manifest. Sent once, right after the failure was counted; a failed send is
 * reported, not retried (the batch notification will name the sample anyway).
 */
async function notifyLaunchFailed(deps: CompletionDeps, launch: Launch): Promise<'sent' | 'off' | Error> {
  const batch = await deps.batches.get(launch.batchId);
  if (!batch?.notifications?.onLaunchFailed) return 'off';
  try {
    await deps.notifier.send({
      kind: 'launch-failed',
      ...noticeBatch(batch),
      sample: sampleOutcome(launch),
      tableName: deps.tableName,
    });
    return 'sent';
  } catch (error) {
    return error as Error;
  }
}

/** Counts the launch's current attempt on its batch (once: the ledger's mark makes a repeat a no-op). */
export async function countLaunch(deps: CompletionDeps, launch: Launch): Promise<boolean> {
  for (let round = 0; round < ROUNDS; round++) {
    const mark = await deps.ledger.get(launch.batchId, launch.launchId);
    const decision = countOutcome(mark, launch);
    if (decision.kind === 'unchanged') return false;
    const result = await deps.ledger.record(mark, decision.mark, decision.delta, deps.now().toISOString());
    if (result === 'written') return true;
  }
  throw new Error(`could not count launch ${launch.launchId}: the count kept changing`);
}

/** Moves the batch on from its stored state as far as it goes: reopen, QC, finish, notify. */
export async function advanceBatch(
  deps: CompletionDeps,
  batchId: string,
  outcome: CompletionOutcome,
): Promise<void> {
  for (let round = 0; round < ROUNDS; round++) {
    const batch = await deps.batches.get(batchId);
    if (!batch) return;
    outcome.batchStatus = batch.status;
    const qcLaunch = batch.qc ? await deps.launches.get(batchId, qcLaunchIdFor(batchId)) : undefined;
    // The batch may have flipped to QC_RUNNING in a run that stopped before it wrote the QC launch.
    if (batch.status === 'QC_RUNNING') await ensureQcLaunch(deps, batch, qcLaunch);

    const step = nextBatchStep(batch, qcLaunch, deps.now());
    if (step.kind === 'wait') return;
    if ((await deps.batches.replace(batch, step.next)) === 'conflict') continue;
    outcome.steps.push(step.kind);
    outcome.batchStatus = step.next.status;
    if (step.kind === 'finish' && step.next.qcState === 'SKIPPED') outcome.qcSkipped = step.next.qcReason;
    if (step.kind === 'finish') outcome.batchDurationSeconds = batchDurationSeconds(step.next);
    if (step.kind === 'start-qc') await ensureQcLaunch(deps, step.next, qcLaunch);
    if (step.kind === 'notify') {
      if (step.next.notificationState !== 'SENDING') return;
      await notifyCompletion(deps, step.next, qcLaunch);
      outcome.notified = true;
      return;
    }
  }
}

async function ensureQcLaunch(
  deps: CompletionDeps,
  batch: Batch,
  existing: Launch | undefined,
): Promise<void> {
  if (!batch.qc || (existing && existing.attempt >= batch.qcAttempt)) return;
  const outputs = await sampleOutputs(deps, batch.batchId);
  const template = batch.qc.parameterTemplate;
  const listUri = sampleOutputsListUriFor(batch);
  const listed = templateReferences(template).some((ref) => ref.path === 'batch.sampleOutputsListUri');
  // Written before the launch that names it, so the run never starts without its list.
  if (listed && listUri) await deps.objects.putText(listUri, outputs.map((uri) => `${uri}\n`).join(''));
  const rendered = renderTemplate(template, {
    batch: { id: batch.batchId, name: batch.name, sampleOutputUris: outputs, sampleOutputsListUri: listUri },
  });
  const candidate = rendered.ok ? rendered.value : template;
  // Too large for the item: written small, as a QC that could not start, so the batch finishes and says why.
  const refusal = oversizedQcParameters(candidate);
  const parameters = refusal ? template : candidate;
  const built = qcLaunchFor(batch, existing, parameters, deps.now(), refusal);
  if (!built.ok) return;
  // Either write lands once: a put for the first attempt, a conditional replace after that.
  if (existing) await deps.launches.replace(existing, built.launch);
  else await deps.launches.putMany([built.launch]);
}

async function sampleOutputs(deps: CompletionDeps, batchId: string): Promise<string[]> {
  const outputs: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.launches.listByBatch(batchId, {
      status: 'COMPLETED',
      cursor,
      limit: PAGE,
    });
    for (const launch of page.items)
      if (launch.kind === 'SAMPLE' && launch.runOutputUri) outputs.push(launch.runOutputUri);
    cursor = page.cursor;
  } while (cursor);
  return outputs.sort();
}
