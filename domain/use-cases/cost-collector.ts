import type { PriceList } from '../cost/price-list.js';
import { EMPTY_COMPUTE, mergeCompute, priceRun, priceTasks } from '../cost/pricing.js';
import type { RunCost, RunUsage } from '../cost/types.js';
import { isTerminal, type Launch, touchLaunch } from '../launch.js';
import type {
  CostLedger,
  CostMark,
  CostRequest,
  LaunchRepository,
  RunManifestReader,
  WorkflowEngine,
} from '../ports.js';
import type { Pacer } from './pace.js';

export interface CostCollectorDeps {
  launches: Pick<LaunchRepository, 'get' | 'replace'>;
  engine: WorkflowEngine;
  /** Where a DYNAMIC-storage run's storage use is read (its run manifest). */
  manifests: RunManifestReader;
  ledger: CostLedger;
  /** The engine-reads token bucket the reconciler uses: GetRun and ListRunTasks share its 10 TPS quota. */
  engineReads: Pacer;
  prices: PriceList;
  /** The region whose prices apply (where the runs ran). */
  region: string;
  now: () => Date;
  /** Tasks per ListRunTasks page (HealthOmics allows at most 100). */
  pageSize?: number;
}

export type CostCollection =
  /** Priced now (or earlier: `already`), and stored where the attempt's cost belongs on the launch. */
  | {
      kind: 'priced';
      cost: RunCost;
      workflowId?: string;
      already: boolean;
      /** `launch`: the current attempt; `attempt`: an earlier one (a retry started); `gone`: launch or attempt no longer kept. */
      storedOn: 'launch' | 'attempt' | 'gone';
    }
  /** Nothing to price, and why (no run, the engine no longer knows it, the run is not ours or not finished). */
  | { kind: 'not-priced'; reason: string }
  /** The deadline came first: progress is stored, the request must be sent again to go on. */
  | { kind: 'paused'; tasksSoFar: number };

const ROUNDS = 8;
const PAGE_SIZE = 100;
/**
 * HealthOmics writes a run's manifest as the run ends: a DYNAMIC run priced sooner after its stop
 * than this, without a manifest, is tried again later (the queue's retry) rather than priced without it.
 */
export const MANIFEST_WAIT_MS = 10 * 60_000;

/**
 * Prices one finished run attempt: GetRun for storage and times, then the run's tasks page by page
 * (each call paced under the shared engine-reads quota). Stops before `deadline` with its progress
 * stored, so a run of thousands of tasks is priced over several invocations. The cost is added to
 * the batch exactly once (the attempt's mark and the batch totals change in one transaction), then
 * put on the launch: on `cost` while the attempt is current, on its entry in `attempts` after a retry.
 */
export async function collectRunCost(
  deps: CostCollectorDeps,
  request: CostRequest,
  deadline: Date,
): Promise<CostCollection> {
  if (!request.runId) return { kind: 'not-priced', reason: 'the attempt never had a run' };
  const runId = request.runId;
  for (let round = 0; round < ROUNDS; round++) {
    const mark = await deps.ledger.get(request.batchId, request.launchId, request.attempt);
    if (mark?.state === 'PRICED' && mark.cost) {
      return storeOnLaunch(deps, request, mark.cost, mark.usage?.workflowId, true);
    }
    let usage = mark?.usage;
    if (!usage) {
      const checked = await readUsage(deps, request, runId);
      if ('reason' in checked) return { kind: 'not-priced', reason: checked.reason };
      usage = checked.usage;
    }
    let compute = mark?.compute ?? EMPTY_COMPUTE;
    let token = mark?.nextToken;
    let pagesRead = mark?.pagesRead ?? 0;
    let pagesNow = 0;
    while (pagesRead === 0 || token) {
      // At least one page per invocation: a time box shorter than one call still makes progress.
      if (pagesNow > 0 && deps.now() >= deadline) {
        const progress: CostMark = {
          batchId: request.batchId,
          launchId: request.launchId,
          attempt: request.attempt,
          runId,
          state: 'COLLECTING',
          usage,
          compute,
          pagesRead,
          nextToken: token,
          revision: (mark?.revision ?? 0) + 1,
        };
        await deps.ledger.saveProgress(mark, progress, deps.now().toISOString());
        return { kind: 'paused', tasksSoFar: compute.taskCount };
      }
      await deps.engineReads.acquire();
      const page = await deps.engine.listRunTasks(runId, {
        startingToken: token,
        maxResults: deps.pageSize ?? PAGE_SIZE,
      });
      compute = mergeCompute(compute, priceTasks(page.tasks, deps.region, deps.prices));
      token = page.nextToken;
      pagesRead++;
      pagesNow++;
    }
    const pricedAt = deps.now().toISOString();
    const cost = priceRun(
      { usage, compute, region: deps.region, attempt: request.attempt, pricedAt },
      deps.prices,
    );
    const settled: CostMark & { cost: RunCost } = {
      batchId: request.batchId,
      launchId: request.launchId,
      attempt: request.attempt,
      runId,
      state: 'PRICED',
      usage,
      pagesRead,
      cost,
      revision: (mark?.revision ?? 0) + 1,
    };
    for (let tries = 0; tries < ROUNDS; tries++) {
      if ((await deps.ledger.settle(mark, settled, pricedAt)) === 'written') {
        return storeOnLaunch(deps, request, cost, usage.workflowId, false);
      }
      // The mark unchanged means the transaction lost only on the batch item (another write to the
      // batch at the same time): the same cost is settled again, without reading the tasks again.
      const stored = await deps.ledger.get(request.batchId, request.launchId, request.attempt);
      if (stored?.revision !== mark?.revision) break;
    }
    // Another delivery of the same request moved the mark: read it again (priced by it, or go on from its progress).
  }
  throw new Error(
    `could not price ${request.launchId} attempt ${request.attempt}: its cost mark kept changing`,
  );
}

/** The run's usage, if the run is this attempt's and has finished; otherwise why it is not priced. */
async function readUsage(
  deps: CostCollectorDeps,
  request: CostRequest,
  runId: string,
): Promise<{ usage: RunUsage } | { reason: string }> {
  await deps.engineReads.acquire();
  const run = await deps.engine.getRun(runId);
  if (!run) return { reason: `run ${runId} is no longer known to the engine (removed by run retention)` };
  // Run ids are reused after a run is deleted: the tags gwm put on the run say whose it is.
  const taggedLaunch = run.tags['gwm:launch-id'];
  const taggedAttempt = run.tags['gwm:attempt'];
  if (
    (taggedLaunch !== undefined && taggedLaunch !== request.launchId) ||
    (taggedAttempt !== undefined && taggedAttempt !== String(request.attempt))
  ) {
    return { reason: `run ${runId} now belongs to ${taggedLaunch ?? '?'} attempt ${taggedAttempt ?? '?'}` };
  }
  if (!isTerminal(run.status)) {
    return { reason: `run ${runId} is ${run.status}: it is priced once it has finished` };
  }
  const usage = run.usage ?? { runId };
  if (usage.storageType !== 'DYNAMIC' || usage.startTime === undefined) return { usage };
  const storageUse = await deps.manifests.storageUse(runId, usage.runUuid ?? run.runUuid);
  if (storageUse) return { usage: { ...usage, storageUse } };
  const stoppedAt = Date.parse(usage.stopTime ?? '');
  if (Number.isNaN(stoppedAt) || deps.now().getTime() - stoppedAt < MANIFEST_WAIT_MS) {
    throw new Error(`run ${runId} has no run manifest yet: its DYNAMIC storage is priced once it is written`);
  }
  // Long since stopped: priced without it, and the cost says what is left out.
  return { usage };
}

/** Puts the cost where the attempt is on the launch; idempotent, retried on a lost race. */
async function storeOnLaunch(
  deps: CostCollectorDeps,
  request: CostRequest,
  cost: RunCost,
  workflowId: string | undefined,
  already: boolean,
): Promise<CostCollection> {
  for (let round = 0; round < ROUNDS; round++) {
    const launch = await deps.launches.get(request.batchId, request.launchId);
    const placed = launch ? placeCost(launch, cost) : undefined;
    const priced = { kind: 'priced' as const, cost, workflowId: workflowId ?? launch?.workflowId, already };
    if (!launch || !placed) return { ...priced, storedOn: 'gone' };
    if (placed.changes === undefined) return { ...priced, storedOn: placed.storedOn };
    const next = touchLaunch(launch, deps.now(), placed.changes);
    if ((await deps.launches.replace(launch, next)) === 'written')
      return { ...priced, storedOn: placed.storedOn };
  }
  throw new Error(
    `could not store the cost of ${request.launchId} attempt ${request.attempt}: the launch kept changing`,
  );
}

/**
 * Where an attempt's cost goes on its launch: the attempt number decides. `changes` is undefined
 * when it is there already; the result is undefined when the launch keeps no trace of that attempt.
 */
export function placeCost(
  launch: Launch,
  cost: RunCost,
): { storedOn: 'launch' | 'attempt'; changes?: Partial<Launch> } | undefined {
  if (launch.attempt === cost.attempt) {
    if (launch.cost?.attempt === cost.attempt) return { storedOn: 'launch' };
    return { storedOn: 'launch', changes: { cost } };
  }
  const index = launch.attempts.findIndex((previous) => previous.attempt === cost.attempt);
  const previous = launch.attempts[index];
  if (!previous) return undefined;
  if (previous.cost?.attempt === cost.attempt) return { storedOn: 'attempt' };
  const attempts = launch.attempts.map((entry, i) => (i === index ? { ...entry, cost } : entry));
  return { storedOn: 'attempt', changes: { attempts } };
}
