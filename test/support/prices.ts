import { parsePriceList } from '../../domain/cost/price-list.js';

/**
 * A price list for tests: round prices so expected costs are easy to state. `omics.r.large` is left
 * out on purpose (a missing price).
 */
export const TEST_PRICES = parsePriceList({
  version: 'test-2026-12',
  source: 'test prices',
  retrievedAt: '2026-12-01T00:00:00.000Z',
  currency: 'USD',
  regions: {
    'us-east-1': {
      instances: { 'omics.c.large': 0.1, 'omics.m.xlarge': 0.4 },
      storage: { STATIC: 0.0002, DYNAMIC: 0.0004 },
      ready2run: { '9900001': 25 },
    },
  },
});
