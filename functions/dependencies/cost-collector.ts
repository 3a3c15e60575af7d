import { ConfigError } from '../../domain/errors.js';
import type { CostCollectorDeps } from '../../domain/use-cases/cost-collector.js';
import { makeCostLedger } from '../adapters/cost-ledger.js';
import { loadPriceList } from '../adapters/price-list-file.js';
import type { CostCollectorHandlerDeps } from '../cost-collector.js';
import type { Base } from './base.js';
import { costQueueOf } from './cost-queue.js';
import { engineOf, engineReadsOf } from './engine.js';
import { runManifestsOf } from './run-logs.js';

/** Pricing a finished run attempt; the price list is read here, at cold start. */
export function costCollectorOf(base: Base): CostCollectorDeps {
  return base.share(costCollectorOf, () => ({
    launches: base.launches,
    engine: engineOf(base),
    manifests: runManifestsOf(base),
    ledger: makeCostLedger(base.entities),
    engineReads: engineReadsOf(base),
    prices: base.overrides.prices ?? loadPriceList(base.config.PRICE_LIST_FILE),
    region: base.region,
    now: base.now,
  }));
}

/** The cost collector function: the table, HealthOmics, CloudWatch Logs (run manifests), SQS. */
export function costCollectorDependencies(base: Base): Omit<CostCollectorHandlerDeps, 'telemetry'> {
  const queue = costQueueOf(base);
  if (!queue)
    throw new ConfigError('gwm configuration is invalid: COST_QUEUE_URL: required by the cost collector');
  return { collector: costCollectorOf(base), queue };
}
