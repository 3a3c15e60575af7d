import { join } from 'node:path';
import type { LocalEndpoints } from '../../infra/local/endpoints.js';
import type { ChaosPlan } from './plan.js';

/** What the harness and the stack process share: the files under `<state dir>/chaos/` and the IPC messages. */

export interface StackProcessInput {
  plan: ChaosPlan;
  settings: Record<string, string>;
  reconcileEveryMs: number;
}

/** Where each file of a chaos run lives under its state folder. */
export function chaosFiles(stateDir: string) {
  const dir = join(stateDir, 'chaos');
  return {
    dir,
    plan: join(dir, 'plan.json'),
    faults: join(dir, 'faults.jsonl'),
    runEvents: join(dir, 'run-events.jsonl'),
    stackLog: join(dir, 'stack.log'),
    stackStderr: (life: number) => join(dir, `stack-${life}.stderr`),
  };
}

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
