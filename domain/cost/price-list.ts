/**
 * The HealthOmics price list gwm prices runs with: per region, the hourly price of each `omics.*`
 * instance type, the run storage prices (STATIC and DYNAMIC, per GB-hour, the unit of the AWS Price
 * List's `Run Storage` and `Dynamic Run Storage` products) and the fixed price per run of Ready2Run
 * workflows. The shipped file is `healthomics-prices.json`; a deployment may override regions with
 * its own file (functions/adapters/price-list-file.ts). A price that is not in the list is missing:
 * lookups return undefined and the run's cost says what was left out (../../docs/cost.md).
 */
import * as z from 'zod';
import { GwmError } from '../errors.js';

/** The units of every number in a price list; fixed, so a file cannot mean something else. */
export const PRICE_UNITS = {
  instances: 'USD per instance-hour',
  storage: 'USD per GB-hour',
  ready2run: 'USD per run',
} as const;

export type RunStorageType = 'STATIC' | 'DYNAMIC';

/** A price list file is missing, not JSON, or does not have the shape below. */
export class PriceListError extends GwmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PRICE_LIST_INVALID', message, options);
    this.name = 'PriceListError';
  }
}

const usd = z.number().nonnegative('a price is never negative').finite();

const regionPricesSchema = z
  .object({
    instances: z
      .record(z.string().regex(/^omics\.[a-z0-9]+\.[a-z0-9]+$/, 'an omics.* instance type'), usd)
      .default({}),
    storage: z.object({ STATIC: usd.optional(), DYNAMIC: usd.optional() }).strict().default({}),
    /** By HealthOmics workflow id (Ready2Run workflows have fixed numeric ids). */
    ready2run: z.record(z.string().min(1), usd).default({}),
  })
  .strict();

const priceListSchema = z
  .object({
    /** Stored on every cost priced with this list. */
    version: z.string().min(1),
    /** Where the prices come from, with the date they were read. */
    source: z.string().min(1),
    retrievedAt: z.iso.datetime({ offset: true }),
    currency: z.literal('USD'),
    units: z
      .object({
        instances: z.literal(PRICE_UNITS.instances),
        storage: z.literal(PRICE_UNITS.storage),
        ready2run: z.literal(PRICE_UNITS.ready2run),
      })
      .strict()
      .default(PRICE_UNITS),
    regions: z.record(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region code'), regionPricesSchema),
  })
  .strict();

export type PriceList = z.infer<typeof priceListSchema>;
export type RegionPrices = z.infer<typeof regionPricesSchema>;

/**
 * Checks a parsed price list file; every problem is named with its JSON path.
 * `origin` says where the value came from (a file name) for the message.
 */
export function parsePriceList(json: unknown, origin = 'the price list'): PriceList {
  const parsed = priceListSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => `  ${jsonPath([...issue.path, key])}: not a price list field`)
      : issue.code === 'invalid_key'
        ? issue.issues.map((inner) => `  ${jsonPath(issue.path)}: ${inner.message}`)
        : [`  ${jsonPath(issue.path)}: ${issue.message}`],
  );
  throw new PriceListError(`${origin} is not a valid gwm price list:\n${problems.join('\n')}`);
}

function jsonPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(file)';
  return path
    .map((part) =>
      typeof part === 'number'
        ? `[${part}]`
        : /^[A-Za-z_][A-Za-z0-9_-]*$/.test(String(part))
          ? `.${String(part)}`
          : `[${JSON.stringify(String(part))}]`,
    )
    .join('');
}

/** Hourly price of an instance type in a region; undefined when the list has none. */
export function instancePrice(list: PriceList, region: string, instanceType: string): number | undefined {
  return own(own(list.regions, region)?.instances, instanceType);
}

/** Price per GB-hour of run storage of a type in a region; undefined when the list has none. */
export function storagePrice(
  list: PriceList,
  region: string,
  storageType: RunStorageType,
): number | undefined {
  return own(list.regions, region)?.storage[storageType];
}

/** Fixed price of one run of a Ready2Run workflow in a region; undefined when the list has none. */
export function ready2RunPrice(list: PriceList, region: string, workflowId: string): number | undefined {
  return own(own(list.regions, region)?.ready2run, workflowId);
}

/** Only the record's own keys: a region or type named `constructor` is not a price. */
function own<T>(record: Record<string, T> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * A deployment's price list over the shipped one. Each region the override names is taken whole
 * from it (a negotiated price list is not mixed with list prices inside one region); the regions it
 * does not name keep the shipped prices. The result's version names both.
 */
export function overridePriceList(shipped: PriceList, override: PriceList): PriceList {
  return {
    version: `${override.version} (over ${shipped.version})`,
    source: `${override.source}; other regions: ${shipped.source}`,
    retrievedAt: override.retrievedAt,
    currency: 'USD',
    units: PRICE_UNITS,
    regions: { ...shipped.regions, ...override.regions },
  };
}
