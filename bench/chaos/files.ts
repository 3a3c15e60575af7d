import type { LocalEndpoints } from '../../infra/local/endpoints.js';
import type { ChaosPlan } from './plan.js';

/** What the harness and the stack process share: the files under `<state dir>/chaos/` and the IPC messages. */

export interface StackProcessInput {
  plan: ChaosPlan;
  settings: Record<string, string>;
  reconcileEveryMs: number;
}

export const CHAOS_DIR = 'chaos';
export const FAULTS_FILE = 'faults.jsonl';
export const RUN_EVENTS_FILE = 'run-events.jsonl';
export const PLAN_FILE = 'plan.json';

/** One line of run-events.jsonl: a run status event as the engine emitted it, before any fault. */
export interface RunEventLine {
  life: number;
  at: string;
  runId: string;
  uuid: string;
  runName?: string;
  status: string;
}

export type StackMessage = { type: 'ready'; endpoints: LocalEndpoints } | { type: 'failed'; error: string };

/** One line of faults.jsonl: a fault the stack injected (infra/local/faults.ts), in which life of the stack. */
export interface FaultLine {
  life: number;
  kind: string;
  target: string;
  occurrence: number;
  detail?: string;
  at: string;
}
