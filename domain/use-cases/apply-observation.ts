import type { Launch } from '../launch.js';
import { applyRunStatus, type RunObservation } from '../launch-transitions.js';
import type { LaunchRepository, RunDetails, RunLogReader, WorkflowEngine } from '../ports.js';
import { type Persisted, persistTransition } from './persist.js';

export interface ObservationDeps {
  launches: LaunchRepository;
  engine: WorkflowEngine;
  logs: RunLogReader;
  /** Log lines kept on the item of a failed run. */
  logLines: number;
  now: () => Date;
}

/**
 * Applies what is known about a run to its launch, forward only: the one path shared by the status
 * tracker (events) and the reconciler (GetRun). Failure details (reason, status message, log tail)
 * and the output location are fetched only when the observation really changes the launch, so
 * duplicate and late events cost no engine or log reads. `details` is GetRun's answer when the
 * caller already has it.
 */
export async function applyObservation(
  deps: ObservationDeps,
  launch: Launch,
  base: RunObservation,
  details?: RunDetails,
): Promise<Persisted> {
  let observation = base;
  const probe = applyRunStatus(launch, base, deps.now());
  if (probe.kind === 'changed') {
    if (base.status === 'FAILED' || base.status === 'CANCELLED') {
      const run = details ?? (await deps.engine.getRun(base.runId));
      const tail = await deps.logs.tail(base.runId, deps.logLines);
      observation = {
        ...base,
        failureReason: base.failureReason ?? run?.failureReason,
        statusMessage: base.statusMessage ?? run?.statusMessage,
        logLocation: tail?.location,
        logExcerpt: tail?.lines.join('\n'),
      };
    } else if (base.status === 'COMPLETED' && !base.runOutputUri) {
      const run = details ?? (await deps.engine.getRun(base.runId));
      observation = { ...base, runOutputUri: run?.runOutputUri };
    }
  }
  return persistTransition(deps.launches, launch, (current) =>
    applyRunStatus(current, observation, deps.now()),
  );
}
