import { appendFileSync } from 'node:fs';
import { TASKS_FILE_VARIABLE } from '../../infra/local/engine/run-tasks.js';
import { errorMessage } from './s3-io.js';

/**
 * A workflow program's steps, reported as the run's tasks: the local engine names a file in
 * GWM_TASKS_FILE, and each step adds a line when it starts and one when it stops, with the real
 * times, so ListRunTasks shows what ran, how long, and on which instance type the request would
 * run on HealthOmics. Outside the engine (no variable) nothing is written.
 */

/** What a step asks for, as a task's runtime block does in a workflow definition. */
export interface StepResources {
  cpus: number;
  memoryGiB: number;
}

export async function runStep<T>(name: string, resources: StepResources, step: () => Promise<T>): Promise<T> {
  report({ event: 'start', task: name, at: new Date().toISOString(), ...resources });
  try {
    const result = await step();
    report({ event: 'stop', task: name, at: new Date().toISOString(), status: 'COMPLETED' });
    return result;
  } catch (error) {
    const message = errorMessage(error);
    report({ event: 'stop', task: name, at: new Date().toISOString(), status: 'FAILED', message });
    throw error;
  }
}

function report(line: Record<string, unknown>): void {
  const file = process.env[TASKS_FILE_VARIABLE];
  // One short append per line: it lands whole, so the engine never reads half a line it keeps.
  if (file !== undefined && file !== '') appendFileSync(file, `${JSON.stringify(line)}\n`);
}
