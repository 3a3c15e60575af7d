import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  instancePrice,
  overridePriceList,
  PriceListError,
  parsePriceList,
  ready2RunPrice,
  storagePrice,
} from '../../domain/cost/price-list.js';

const shippedText = readFileSync(
  new URL('../../domain/cost/healthomics-prices.json', import.meta.url),
  'utf8',
);

function list(version: string, regions: Record<string, unknown>) {
  return parsePriceList({
    version,
    source: `${version} source`,
    retrievedAt: '2026-12-01T00:00:00Z',
    currency: 'USD',
    regions,
  });
}

describe('parsePriceList', () => {
  it('accepts the shipped price file, with its source and units', () => {
    const shipped = parsePriceList(JSON.parse(shippedText), 'healthomics-prices.json');
    expect(shipped.source).toMatch(/https:\/\//);
    expect(shipped.units.storage).toBe('USD per GB-hour');
    expect(instancePrice(shipped, 'us-east-1', 'omics.c.large')).toBeGreaterThan(0);
    expect(storagePrice(shipped, 'us-east-1', 'STATIC')).toBeGreaterThan(0);
  });

  it('names every problem with its path', () => {
    const attempt = () =>
      parsePriceList(
        {
          version: '',
          source: 's',
          retrievedAt: 'yesterday',
          currency: 'EUR',
          regions: {
            'us-east-1': { instances: { 'c5.large': 0.1, 'omics.m.large': -1 }, storage: { FAST: 1 } },
          },
          extra: true,
        },
        'prices.json',
      );
    expect(attempt).toThrow(PriceListError);
    const message = (() => {
      try {
        attempt();
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toContain('prices.json is not a valid gwm price list');
    expect(message).toContain('.version:');
    expect(message).toContain('.retrievedAt:');
    expect(message).toContain('.currency:');
    expect(message).toContain('.regions.us-east-1.instances["c5.large"]: an omics.* instance type');
    expect(message).toContain('.regions.us-east-1.instances["omics.m.large"]: a price is never negative');
    expect(message).toContain('.regions.us-east-1.storage.FAST: not a price list field');
    expect(message).toContain('.extra: not a price list field');
  });

  it('refuses units other than the ones gwm computes with', () => {
    expect(() =>
      parsePriceList({
        version: 'v',
        source: 's',
        retrievedAt: '2026-12-01T00:00:00Z',
        currency: 'USD',
        units: { instances: 'USD per instance-hour', storage: 'USD per GB-month', ready2run: 'USD per run' },
        regions: {},
      }),
    ).toThrow(/units\.storage/);
  });
});

describe('lookups', () => {
  const prices = list('v1', {
    'eu-west-1': {
      instances: { 'omics.c.large': 0.12 },
      storage: { DYNAMIC: 0.0005 },
      ready2run: { '42': 7.5 },
    },
  });

  it('find a price where the list has one', () => {
    expect(instancePrice(prices, 'eu-west-1', 'omics.c.large')).toBe(0.12);
    expect(storagePrice(prices, 'eu-west-1', 'DYNAMIC')).toBe(0.0005);
    expect(ready2RunPrice(prices, 'eu-west-1', '42')).toBe(7.5);
  });

  it('return undefined for a missing type, storage, workflow or region', () => {
    expect(instancePrice(prices, 'eu-west-1', 'omics.r.large')).toBeUndefined();
    expect(storagePrice(prices, 'eu-west-1', 'STATIC')).toBeUndefined();
    expect(ready2RunPrice(prices, 'eu-west-1', '43')).toBeUndefined();
    expect(instancePrice(prices, 'us-east-1', 'omics.c.large')).toBeUndefined();
    expect(instancePrice(prices, 'constructor', 'omics.c.large')).toBeUndefined();
    expect(ready2RunPrice(prices, 'eu-west-1', 'toString')).toBeUndefined();
  });
});

describe('overridePriceList', () => {
  it('takes each region the override names whole and keeps the shipped prices elsewhere', () => {
    const shipped = list('shipped', {
      'us-east-1': {
        instances: { 'omics.c.large': 0.11, 'omics.m.large': 0.13 },
        storage: { STATIC: 0.0002 },
      },
      'eu-west-1': { instances: { 'omics.c.large': 0.12 } },
    });
    const override = list('negotiated', { 'us-east-1': { instances: { 'omics.c.large': 0.08 } } });
    const merged = overridePriceList(shipped, override);
    expect(instancePrice(merged, 'us-east-1', 'omics.c.large')).toBe(0.08);
    // Not mixed with list prices inside an overridden region:
    expect(instancePrice(merged, 'us-east-1', 'omics.m.large')).toBeUndefined();
    expect(storagePrice(merged, 'us-east-1', 'STATIC')).toBeUndefined();
    expect(instancePrice(merged, 'eu-west-1', 'omics.c.large')).toBe(0.12);
    expect(merged.version).toBe('negotiated (over shipped)');
  });
});
