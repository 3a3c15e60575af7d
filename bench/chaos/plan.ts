import { manifestPrefixOf, type Team } from '../../domain/teams/team.js';
import { FAULT_RATE_NAMES, type FaultPlan, type FaultRates, seededUnit } from '../../infra/local/faults.js';

/**
 * The run's schedule, all from the seed: the batches and their samples, how each sample's runs
 * end, the console edits, the kill -9 moments, the notifier outage. Faults inside the stack are
 * decided by infra/local/faults.ts from the same seed.
 */

/** The harness's own fault knobs, beside the stack's rates (FaultRates). */
export interface DriverFaults {
  /** kill -9 of the whole stack, then a restart on the same state folder. */
  kills: number;
  /** A failed (or cancelled, deleted, launch-failed) launch is set to RETRY in the console. */
  consoleRetry: number;
  /** A sample's launch gets a console typo (QUEUD, " RETRY", BOGUS) at a random moment. */
  consoleTypo: number;
  /** A sample's launch is set to CANCEL at a random moment (only where gwm accepts CANCEL). */
  consoleCancel: number;
  /** A failed QC launch is retried from the console. */
  qcRetry: number;
  /** The identical manifest uploaded again once its batch finished (a late S3 event). */
  reuploadAfterFinish: number;
  /** One notifier outage longer than the stream's retries (ms; 0: none). */
  notifierOutageMs: number;
}

export type FaultSettings = FaultRates & DriverFaults;

export const DEFAULT_FAULTS: FaultSettings = {
  s3Duplicate: 0.5,
  s3Late: 0.5,
  streamRedeliver: 0.2,
  handlerCrash: 0.1,
  eventDuplicate: 0.2,
  eventReorder: 0.2,
  eventDrop: 0.05,
  startRunThrottle: 0.5,
  startRunServerError: 0.05,
  notifierFailure: 0.1,
  kills: 1,
  consoleRetry: 0.7,
  consoleTypo: 0.03,
  consoleCancel: 0.03,
  qcRetry: 1,
  reuploadAfterFinish: 1,
  notifierOutageMs: 40_000,
};

export const FAULT_NAMES = [
  ...FAULT_RATE_NAMES,
  ...(Object.keys(DEFAULT_FAULTS).filter(
    (name) => !(FAULT_RATE_NAMES as readonly string[]).includes(name),
  ) as (keyof DriverFaults)[]),
];

/** `all` (the defaults) or `none`, then `name=value` overrides: `none,eventDrop=0.05,kills=1`. */
export function parseFaults(spec: string): FaultSettings {
  const faults: FaultSettings = { ...DEFAULT_FAULTS };
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    if (part === 'all') Object.assign(faults, DEFAULT_FAULTS);
    else if (part === 'none') for (const name of FAULT_NAMES) faults[name] = 0;
    else {
      const [name = '', text = ''] = part.split('=');
      if (!(FAULT_NAMES as string[]).includes(name))
        throw new Error(`--faults: unknown fault "${name}" (known: ${FAULT_NAMES.join(', ')})`);
      const value = Number(text);
      if (text === '' || !Number.isFinite(value) || value < 0)
        throw new Error(`--faults: ${name}=${text} is not a number >= 0`);
      if (name in DEFAULT_FAULTS && (FAULT_RATE_NAMES as readonly string[]).includes(name) && value > 1)
        throw new Error(`--faults: ${name} is a rate, at most 1`);
      faults[name as keyof FaultSettings] = value;
    }
  }
  return faults;
}

export type QcPolicySpec =
  | { policy: 'all-succeeded' }
  | { policy: 'any-completed' }
  | { policy: 'min-succeeded-fraction'; minSucceededFraction: number };

export interface BatchPlan {
  index: number;
  name: string;
  key: string;
  sampleIds: string[];
  qc: QcPolicySpec;
  /** After the run starts (ms). */
  uploadAtMs: number;
}

export interface TimedEdit {
  batchIndex: number;
  sampleId: string;
  atMs: number;
  kind: 'typo' | 'cancel';
  value: string;
}

export interface SimulationPlan {
  seed: string;
  /** Typical real seconds a simulated run spends RUNNING. */
  runSeconds: number;
  /** Share of first runs that fail. */
  failRate: number;
}

export interface ChaosPlan {
  seed: string;
  batches: BatchPlan[];
  faults: FaultSettings;
  simulation: SimulationPlan;
  /** kill -9 moments, in ms after every batch was first seen registered (past REGISTERING). */
  kills: number[];
  timedEdits: TimedEdit[];
  notifierOutage?: { batchIndex: number; outageMs: number };
  /** StartRun pacing for gwm and the engine's quota. */
  startRunRate: number;
  engineRate: number;
}

/** The team the chaos batches are uploaded as (teams/chaos/), kept to the chaos folders of the local buckets. */
export const CHAOS_TEAM = 'chaos';
export const CHAOS_TEAM_ITEM: Team = {
  name: CHAOS_TEAM,
  // QC reads the samples' outputs.
  readPrefixes: ['s3://gwm-lab-inputs/chaos/', 's3://gwm-lab-results/chaos/'],
  writePrefixes: ['s3://gwm-lab-results/chaos/'],
  weight: 1,
};
export const SAMPLE_WORKFLOW_ID = '4300001';
export const QC_WORKFLOW_ID = '4300002';
export const TYPOS = ['QUEUD', ' RETRY', 'BOGUS'] as const;

export interface PlanInput {
  seed: string;
  samples: number;
  batches: number;
  faults: FaultSettings;
  runSeconds: number;
  failRate: number;
  startRunRate: number;
  /** Whether the code under test accepts a CANCEL edit: without it, no CANCEL is planned. */
  cancelSupported: boolean;
}

export function makePlan(input: PlanInput): ChaosPlan {
  const { seed, faults } = input;
  const unit = (...parts: Array<string | number>) => seededUnit(seed, 'plan', ...parts);
  const tag = seed.replace(/[^A-Za-z0-9]+/g, '').slice(0, 16) || 'seed';
  const count = Math.max(1, Math.min(input.batches, input.samples));
  const batches: BatchPlan[] = [];
  let next = 1;
  for (let index = 0; index < count; index += 1) {
    const size = Math.floor(input.samples / count) + (index < input.samples % count ? 1 : 0);
    const sampleIds = Array.from({ length: size }, () => `S${String(next++).padStart(5, '0')}`);
    const policyRoll = unit('policy', index);
    const qc: QcPolicySpec =
      policyRoll < 1 / 3
        ? { policy: 'all-succeeded' }
        : policyRoll < 2 / 3
          ? { policy: 'any-completed' }
          : { policy: 'min-succeeded-fraction', minSucceededFraction: 0.8 };
    const name = `CHAOS-${tag}-B${index + 1}`;
    batches.push({
      index,
      name,
      // Under the chaos team's prefix: the team path (its prefixes, its queue) goes through the faults too.
      key: `${manifestPrefixOf(CHAOS_TEAM)}${name}.json`,
      sampleIds,
      qc,
      uploadAtMs: Math.floor(index * 1500 * unit('upload', index)),
    });
  }
  // Effective StartRun rate once throttling is injected, and the runs' own time.
  const effectiveRate =
    input.startRunRate * Math.max(0.2, 1 - faults.startRunThrottle - faults.startRunServerError);
  const launchMs = (input.samples / effectiveRate) * 1000 + input.runSeconds * 2000;
  // Counted from the moment every batch is registered: while samples launch and run, where most is in flight.
  const kills = Array.from({ length: Math.floor(faults.kills) }, (_, k) =>
    Math.floor(launchMs * (0.05 + 0.9 * unit('kill', k))),
  ).sort((a, b) => a - b);
  const timedEdits: TimedEdit[] = [];
  for (const batch of batches) {
    for (const sampleId of batch.sampleIds) {
      if (unit('typo', batch.index, sampleId) < faults.consoleTypo) {
        const value = TYPOS[Math.floor(unit('typo-kind', batch.index, sampleId) * TYPOS.length)] ?? 'BOGUS';
        timedEdits.push({
          batchIndex: batch.index,
          sampleId,
          kind: 'typo',
          value,
          atMs: batch.uploadAtMs + Math.floor(launchMs * unit('typo-at', batch.index, sampleId)),
        });
      }
      if (input.cancelSupported && unit('cancel', batch.index, sampleId) < faults.consoleCancel) {
        timedEdits.push({
          batchIndex: batch.index,
          sampleId,
          kind: 'cancel',
          value: 'CANCEL',
          atMs: batch.uploadAtMs + Math.floor(launchMs * unit('cancel-at', batch.index, sampleId)),
        });
      }
    }
  }
  timedEdits.sort((a, b) => a.atMs - b.atMs);
  return {
    seed,
    batches,
    faults,
    simulation: { seed, runSeconds: input.runSeconds, failRate: input.failRate },
    kills,
    timedEdits,
    ...(faults.notifierOutageMs > 0
      ? {
          notifierOutage: {
            batchIndex: Math.floor(unit('outage') * count),
            outageMs: faults.notifierOutageMs,
          },
        }
      : {}),
    startRunRate: input.startRunRate,
    engineRate: Math.ceil(input.startRunRate * 1.5) + 5,
  };
}

/** The stack's fault plan for one life of the stack: each restart gets a seed of its own. */
export function stackFaultPlan(plan: ChaosPlan, life: number): FaultPlan {
  const rates = Object.fromEntries(
    FAULT_RATE_NAMES.map((name) => [name, plan.faults[name]]),
  ) as unknown as FaultRates;
  return {
    seed: `${plan.seed}/life-${life}`,
    rates,
    // The outage happens in the first life that sees the batch finish; later lives do not repeat it.
    ...(plan.notifierOutage && life === 0 ? { notifierOutage: plan.notifierOutage } : {}),
  };
}

/** Whether the driver retries a launch seen in a retryable status at this attempt. */
export function retryDecision(
  plan: ChaosPlan,
  launchId: string,
  attempt: number,
): { retry: boolean; delayMs: number } {
  const rate = launchId.endsWith('/_qc') ? plan.faults.qcRetry : plan.faults.consoleRetry;
  return {
    retry: seededUnit(plan.seed, 'retry', launchId, attempt) < rate,
    delayMs: Math.floor(3000 * seededUnit(plan.seed, 'retry-delay', launchId, attempt)),
  };
}
