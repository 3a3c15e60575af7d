import type { WorkflowEngine } from '../../domain/ports.js';
import { makePacer, type Pacer } from '../../domain/use-cases/pace.js';
import { makeHealthOmicsEngine, makeOmicsClient } from '../adapters/healthomics-engine.js';
import { makeRateLimitStore } from '../adapters/rate-limit-store.js';
import type { Base } from './base.js';

export const ENGINE_READS_BUCKET = 'engineReads';

/** HealthOmics (or the client given in the overrides). */
export function engineOf(base: Base): WorkflowEngine {
  const { config, overrides } = base;
  return base.share(engineOf, () =>
    makeHealthOmicsEngine({
      client: overrides.omics ?? makeOmicsClient({ region: base.region, endpoint: config.OMICS_ENDPOINT }),
      retentionMode: config.RUN_RETENTION_MODE,
    }),
  );
}

/**
 * One bucket for every engine read outside the status path (reconciler, cost collector), so
 * together they stay under HealthOmics' 10 TPS GetRun/ListRunTasks quota. Burst 1: reads stay
 * evenly spaced, so no second of the schedule goes above the rate.
 */
export function engineReadsOf(base: Base): Pacer {
  return base.share(engineReadsOf, () =>
    makePacer({
      store: makeRateLimitStore(base.entities),
      name: ENGINE_READS_BUCKET,
      settings: { ratePerSecond: base.config.RECONCILE_ENGINE_READS_PER_SECOND, burst: 1 },
      now: base.now,
      sleep: base.sleep,
    }),
  );
}
