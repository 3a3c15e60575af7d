export {
  type LocalEngine,
  type LocalEngineOptions,
  type LocalRun,
  type LocalRunStatus,
  type LocalWorkflow,
  localOmicsClientConfig,
  type RunStatusChangeEvent,
  startLocalEngine,
} from './local-engine.js';
