import { readFileSync } from 'node:fs';
import shipped from '../../domain/cost/healthomics-prices.json' with { type: 'json' };
import {
  overridePriceList,
  type PriceList,
  PriceListError,
  parsePriceList,
} from '../../domain/cost/price-list.js';

/**
 * The price list the functions price runs with: the file shipped in the bundle (a JSON import, so
 * esbuild puts it in every bundle that prices), with the regions of the file `PRICE_LIST_FILE` names
 * taken over it (a deployment's negotiated prices, other regions).
 */
export function loadPriceList(overrideFile?: string): PriceList {
  const base = parsePriceList(shipped, 'the shipped price list');
  if (!overrideFile) return base;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(overrideFile, 'utf8'));
  } catch (error) {
    throw new PriceListError(`PRICE_LIST_FILE ${overrideFile} cannot be read as JSON`, { cause: error });
  }
  return overridePriceList(base, parsePriceList(json, overrideFile));
}
