/**
 * The price list a deployment prices runs with: the shipped file (bundled with the code), with the
 * regions of the deployment's own file (PRICE_LIST_FILE) taken over it whole. A region the override
 * names replaces the shipped one (negotiated prices are not mixed with list prices inside a region);
 * the regions it does not name keep the shipped prices (domain/cost/price-list.ts, docs/cost.md).
 */
import { readFileSync } from 'node:fs';
import shippedPrices from '../../domain/cost/healthomics-prices.json' with { type: 'json' };
import {
  overridePriceList,
  type PriceList,
  PriceListError,
  parsePriceList,
} from '../../domain/cost/price-list.js';

export const SHIPPED_PRICE_LIST_NAME = 'domain/cost/healthomics-prices.json';

/** The shipped price list alone. */
export function shippedPriceList(): PriceList {
  return parsePriceList(shippedPrices, SHIPPED_PRICE_LIST_NAME);
}

/** Reads and checks a price list file; a missing file, bad JSON or a bad shape names the file. */
export function readPriceListFile(
  path: string,
  readFile: (path: string) => string = (file) => readFileSync(file, 'utf8'),
): PriceList {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    throw new PriceListError(`cannot read the price list file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PriceListError(`the price list file ${path} is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parsePriceList(json, `the price list file ${path}`);
}

/**
 * The price list to use: the shipped one, overridden region by region by `overrideFile` when one is
 * named (the PRICE_LIST_FILE setting). Read once, at cold start: a bad file stops the function there.
 */
export function loadPriceList(overrideFile?: string, readFile?: (path: string) => string): PriceList {
  const shipped = shippedPriceList();
  if (!overrideFile) return shipped;
  return overridePriceList(shipped, readPriceListFile(overrideFile, readFile));
}
