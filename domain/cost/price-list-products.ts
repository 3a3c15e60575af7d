/**
 * A gwm price list from the AWS Price List's HealthOmics products (service code `AmazonOmics`):
 * each `GetProducts` entry is a JSON document `{ product: { sku, productFamily, attributes:
 * { regionCode, resourceType, usagetype, ... } }, terms: { OnDemand: { <offer term>: {
 * priceDimensions: { <rate code>: { unit, pricePerUnit: { USD } } } } } }, publicationDate }`.
 * Products are mapped by `resourceType`: an `omics.*` instance type (unit `Instance-hrs`),
 * `Run Storage` (STATIC) and `Dynamic Run Storage` (DYNAMIC), both per `GB-Hours`. Everything else
 * (other storage, stores, Ready2Run workflows, which the Price List names rather than by the
 * workflow id StartRun takes) is reported as unmapped, never guessed into the list.
 */
import { isRecord } from '../is-record.js';
import { STORAGE_TYPES } from '../workflow.js';
import { PRICE_UNITS, type PriceList, parsePriceList, type RegionPrices } from './price-list.js';

const INSTANCE_TYPE = /^omics\.[a-z0-9]+\.[a-z0-9]+$/;
const STORAGE_RESOURCE_TYPES: Record<string, 'STATIC' | 'DYNAMIC'> = {
  'Run Storage': 'STATIC',
  'Dynamic Run Storage': 'DYNAMIC',
};
const INSTANCE_UNIT = 'Instance-hrs';
const STORAGE_UNIT = 'GB-Hours';

export interface PriceListFromProducts {
  priceList: PriceList;
  /** Per region: instance types priced, and which run storage types. */
  priced: Record<string, { instances: number; storage: ('STATIC' | 'DYNAMIC')[] }>;
  /** Products left out, each once, with why: `<region> <resourceType> (<unit>): <reason>`. */
  unmapped: string[];
}

export interface ProductsOrigin {
  /** Where the products came from, e.g. the Price List endpoint. */
  source: string;
  retrievedAt: string;
}

interface Product {
  region?: string;
  resourceType?: string;
  usagetype?: string;
  unit?: string;
  usd?: number;
  publicationDate?: string;
  problem?: string;
}

/** Builds a price list from `GetProducts` entries (the JSON strings as the API returns them). */
export function priceListFromProducts(
  entries: readonly string[],
  origin: ProductsOrigin,
): PriceListFromProducts {
  const regions: Record<string, RegionPrices> = {};
  const unmapped = new Set<string>();
  let published: string | undefined;

  for (const entry of entries) {
    const product = readProduct(entry);
    if (product.publicationDate && (!published || product.publicationDate > published)) {
      published = product.publicationDate;
    }
    const name = product.resourceType ?? product.usagetype ?? 'product without resourceType';
    const label = `${product.region ?? 'no region'} ${name} (${product.unit ?? 'no unit'})`;
    if (product.problem !== undefined || product.region === undefined || product.usd === undefined) {
      unmapped.add(`${label}: ${product.problem ?? 'no region or no USD on-demand price'}`);
      continue;
    }
    const prices = regions[product.region] ?? { instances: {}, storage: {}, ready2run: {} };
    regions[product.region] = prices;
    const type = product.resourceType ?? '';
    const storage = STORAGE_RESOURCE_TYPES[type];
    if (INSTANCE_TYPE.test(type) && product.unit === INSTANCE_UNIT) {
      setOnce(prices.instances, type, product.usd, label, unmapped);
    } else if (storage !== undefined && product.unit === STORAGE_UNIT) {
      setOnce(prices.storage, storage, product.usd, label, unmapped);
    } else {
      unmapped.add(`${label}: not a compute instance or run storage price gwm uses`);
    }
  }

  const priceList = parsePriceList(
    {
      version: `aws-price-list-${(published ?? origin.retrievedAt).slice(0, 10)}`,
      source: `${origin.source}${published ? `, price list published ${published}` : ''}, read ${origin.retrievedAt}`,
      retrievedAt: origin.retrievedAt,
      currency: 'USD',
      units: PRICE_UNITS,
      regions: sortedRegions(regions),
    },
    'the price list built from the AWS Price List',
  );
  const priced = Object.fromEntries(
    Object.entries(priceList.regions).map(([region, prices]) => [
      region,
      {
        instances: Object.keys(prices.instances).length,
        storage: STORAGE_TYPES.filter((type) => prices.storage[type] !== undefined),
      },
    ]),
  );
  return { priceList, priced, unmapped: [...unmapped].sort() };
}

function setOnce(
  record: Record<string, number | undefined>,
  key: string,
  usd: number,
  label: string,
  unmapped: Set<string>,
): void {
  const existing = record[key];
  if (existing === undefined) record[key] = usd;
  else if (existing !== usd)
    unmapped.add(`${label}: a second price ${usd} beside ${existing}, kept ${existing}`);
}

function readProduct(entry: string): Product {
  let document: unknown;
  try {
    document = JSON.parse(String(entry));
  } catch {
    return { problem: 'not JSON' };
  }
  const product = field(document, 'product');
  const attributes = field(product, 'attributes');
  const publicationDate = text(field(document, 'publicationDate'));
  const result: Product = {
    region: text(field(attributes, 'regionCode')),
    resourceType: text(field(attributes, 'resourceType')),
    usagetype: text(field(attributes, 'usagetype')),
    ...(publicationDate ? { publicationDate } : {}),
  };
  const dimensions = Object.values(asRecord(field(field(document, 'terms'), 'OnDemand')) ?? {}).flatMap(
    (term) => Object.values(asRecord(field(term, 'priceDimensions')) ?? {}),
  );
  const units = new Set(dimensions.map((dimension) => text(field(dimension, 'unit'))));
  const prices = new Set(dimensions.map((dimension) => text(field(field(dimension, 'pricePerUnit'), 'USD'))));
  const unit = [...units][0];
  if (unit) result.unit = unit;
  if (dimensions.length === 0) return { ...result, problem: 'no on-demand price' };
  if (units.size > 1 || prices.size > 1) return { ...result, problem: 'several on-demand rates (tiered)' };
  const usd = Number([...prices][0]);
  if ([...prices][0] === undefined || !Number.isFinite(usd) || usd < 0) {
    return { ...result, problem: 'no USD price' };
  }
  return { ...result, usd };
}

function sortedRegions(regions: Record<string, RegionPrices>): Record<string, RegionPrices> {
  const sortKeys = <T>(record: Record<string, T>) =>
    Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
  return Object.fromEntries(
    Object.entries(regions)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([region, prices]) => [
        region,
        { instances: sortKeys(prices.instances), storage: prices.storage, ready2run: prices.ready2run },
      ]),
  );
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return isRecord(value) ? value : undefined;
}

function field(value: unknown, key: string): unknown {
  const record = asRecord(value);
  return record && Object.hasOwn(record, key) ? record[key] : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
