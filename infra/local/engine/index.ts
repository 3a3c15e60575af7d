export { localOmicsClientConfig, startLocalEngine } from './local-engine.js';
export { makeLocalLogReader } from './log-reader.js';
export { makeLocalRunManifestReader } from './run-storage.js';
export { RUN_STORE_FILE, readRunStore, type StoredRun } from './run-store.js';
export { TASKS_FILE, TASKS_FILE_VARIABLE } from './run-tasks.js';
export {
  ENGINE_RESTARTED,
  type EngineOperation,
  engineCallCounts,
  type LocalEngine,
  type LocalEngineOptions,
  type LocalRun,
  type LocalRunContext,
  type LocalRunStatus,
  type LocalTask,
  type LocalTaskStatus,
  type LocalWorkflow,
  type ProcessWorkflow,
  type RunStatusChangeEvent,
  type SimulatedOutcome,
  type SimulatedTask,
  type SimulatedWorkflow,
} from './types.js';
