import { describe, expect, it } from 'vitest';
import { instancePrice, PriceListError, storagePrice } from '../../domain/cost/price-list.js';
import { loadConfig } from '../../functions/adapters/config.js';
import {
  loadPriceList,
  readPriceListFile,
  shippedPriceList,
} from '../../functions/adapters/price-list-file.js';
import { DeployConfigError, readDeploySettings } from '../../infra/config.js';
import { SETTINGS } from '../infra/stack-fixture.js';

const override = {
  version: 'lab-negotiated-2026-12',
  source: 'the lab’s agreement, 2026-12-01',
  retrievedAt: '2026-12-01T00:00:00Z',
  currency: 'USD',
  regions: {
    'us-east-1': { instances: { 'omics.c.large': 0.09 }, storage: { STATIC: 0.00015 } },
    'eu-west-1': { instances: { 'omics.m.large': 0.14 } },
  },
};
const files: Record<string, string> = {
  'override.json': JSON.stringify(override),
  'broken.json': '{"version":',
  'wrong.json': JSON.stringify({ ...override, currency: 'EUR' }),
};
const readFile = (path: string) => {
  const name = path.split('/').pop() ?? path;
  const text = files[name];
  if (text === undefined) throw new Error(`ENOENT: no such file, open '${path}'`);
  return text;
};

describe('loadPriceList', () => {
  it('uses the shipped prices when no file is named', () => {
    const prices = loadPriceList(undefined, readFile);
    expect(prices).toEqual(shippedPriceList());
    expect(instancePrice(prices, 'us-east-1', 'omics.c.large')).toBeGreaterThan(0);
  });

  it('takes the regions of the override file over the shipped ones and adds its new regions', () => {
    const prices = loadPriceList('override.json', readFile);
    expect(instancePrice(prices, 'us-east-1', 'omics.c.large')).toBe(0.09);
    expect(storagePrice(prices, 'us-east-1', 'STATIC')).toBe(0.00015);
    expect(storagePrice(prices, 'us-east-1', 'DYNAMIC')).toBeUndefined();
    expect(instancePrice(prices, 'eu-west-1', 'omics.m.large')).toBe(0.14);
    expect(prices.version).toBe(`lab-negotiated-2026-12 (over ${shippedPriceList().version})`);
  });

  it.each([
    ['missing.json', /cannot read the price list file missing\.json: ENOENT/],
    ['broken.json', /the price list file broken\.json is not JSON/],
    ['wrong.json', /the price list file wrong\.json is not a valid gwm price list:\n {2}\.currency:/],
  ])('refuses %s with a message naming the file', (file, message) => {
    expect(() => readPriceListFile(file, readFile)).toThrow(PriceListError);
    expect(() => loadPriceList(file, readFile)).toThrow(message);
  });
});

describe('price list settings', () => {
  it('the functions read PRICE_LIST_FILE', () => {
    const config = loadConfig({
      TABLE_NAME: 't',
      ALLOWED_READ_PREFIXES: 's3://in/',
      ALLOWED_WRITE_PREFIXES: 's3://out/',
      OMICS_ROLE_ARN: 'arn:aws:iam::123456789012:role/omics',
      PRICE_LIST_FILE: '/var/task/price-list.json',
    });
    expect(config.PRICE_LIST_FILE).toBe('/var/task/price-list.json');
  });

  const context = (values: Record<string, unknown>) => ({ tryGetContext: (key: string) => values[key] });

  it('the deploy setting priceListFile is checked at synth', () => {
    const settings = readDeploySettings(
      context({ gwm: { ...SETTINGS, priceListFile: 'override.json' } }),
      readFile,
    );
    expect(settings.priceListFile).toBe('override.json');
  });

  it('a bad priceListFile stops synth with the file and the problem', () => {
    expect(() =>
      readDeploySettings(context({ gwm: { ...SETTINGS, priceListFile: 'wrong.json' } }), readFile),
    ).toThrow(DeployConfigError);
    expect(() =>
      readDeploySettings(context({ gwm: { ...SETTINGS, priceListFile: 'missing.json' } }), readFile),
    ).toThrow(/priceListFile: cannot read the price list file .*missing\.json/);
  });
});
