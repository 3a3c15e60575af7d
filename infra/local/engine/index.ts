export {
  type EngineOperation,
  type LocalEngine,
  type LocalEngineOptions,
  type LocalRun,
  type LocalRunContext,
  type LocalRunStatus,
  type LocalWorkflow,
  localOmicsClientConfig,
  type ProcessWorkflow,
  type RunStatusChangeEvent,
  type SimulatedOutcome,
  type SimulatedWorkflow,
  startLocalEngine,
} from './local-engine.js';
export { makeLocalLogReader } from './log-reader.js';
