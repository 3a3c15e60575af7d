/**
 * How gwm shows money to people (the CLI, the notification, the demo): US dollars, in one place so
 * every view of a cost reads the same.
 */

/** The mark after a cost that left out a missing price: the true cost is higher. */
export const MISSING_PRICE_MARK = '*';

/**
 * `$12.40`, `$1,204.00`; a cost under a cent (a short local run) keeps two significant digits,
 * `$0.0019`, so it never reads as free; below a hundredth of a cent it is `<$0.0001`.
 * With `missingPrice`, the {@link MISSING_PRICE_MARK} follows: the figure leaves a part out.
 */
export function formatUsd(amount: number, options: { missingPrice?: boolean } = {}): string {
  const mark = options.missingPrice ? MISSING_PRICE_MARK : '';
  if (!Number.isFinite(amount)) return `?${mark}`;
  const sign = amount < 0 ? '-' : '';
  const size = Math.abs(amount);
  let digits: string;
  if (size === 0 || size >= 0.005) {
    digits = size.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  } else if (size < 0.0001) {
    return `${sign}<$0.0001${mark}`;
  } else {
    digits = size.toFixed(4);
  }
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
