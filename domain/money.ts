/**
 * How gwm shows money to people (the CLI, the notification, the demo): US dollars, in one place so
 * every view of a cost reads the same.
 */

/** The mark after a cost that left out a missing price: the true cost is higher. */
export const MISSING_PRICE_MARK = '*';

/**
 * `$12.40`, `$1,204.00`; an amount under a dollar keeps two significant digits, so a short run
 * that cost a fraction of a cent never reads as free: `$0.45`, `$0.012`, `$0.0031`. Below a
 * millionth of a dollar it is `<$0.000001`. With `missingPrice`, the {@link MISSING_PRICE_MARK}
 * follows: the figure leaves a part out.
 */
export function formatUsd(amount: number, options: { missingPrice?: boolean } = {}): string {
  const mark = options.missingPrice ? MISSING_PRICE_MARK : '';
  if (!Number.isFinite(amount)) return `?${mark}`;
  const sign = amount < 0 ? '-' : '';
  const size = Math.abs(amount);
  if (size > 0 && size < 0.000001) return `${sign}<$0.000001${mark}`;
  const shown = size >= 1 || size === 0 ? size : Number(size.toPrecision(2));
  const decimals = shown >= 1 || shown === 0 ? 2 : Math.max(2, 1 - Math.floor(Math.log10(shown)));
  const digits = shown.toLocaleString('en-US', {
    minimumFractionDigits: 2,
    maximumFractionDigits: Math.min(decimals, 6),
  });
  return `${sign}$${digits}${mark}`;
}

/** `$10.10–$15.00`: a predicted range, low to high. */
export function formatUsdRange(range: { low: number; high: number }): string {
  return `${formatUsd(range.low)}–${formatUsd(range.high)}`;
}

/** A cost as a plain number for CSV and JSON: rounded to a millionth of a dollar (no float noise). */
export function usdNumber(amount: number): number {
  return Math.round(amount * 1_000_000) / 1_000_000;
}
