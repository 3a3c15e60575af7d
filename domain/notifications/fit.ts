// How much of a list fits in a message or an event detail.

/**
 * How many items of a list fit in `budget` bytes, each item in a full or a lean form (lean: its
 * log left out). Logs go first, from the last item backwards; then items from the end.
 * Returns the number of items kept and how many of them (a prefix) keep their full form.
 */
export function fitPrefix(
  items: readonly { full: number; lean: number }[],
  budget: number,
): { kept: number; full: number } {
  const leanTotal = items.reduce((sum, item) => sum + item.lean, 0);
  if (leanTotal <= budget) {
    let used = leanTotal;
    let full = 0;
    for (const item of items) {
      if (used + item.full - item.lean > budget) break;
      used += item.full - item.lean;
      full += 1;
    }
    return { kept: items.length, full };
  }
  let used = 0;
  let kept = 0;
  for (const item of items) {
    if (used + item.lean > budget) break;
    used += item.lean;
    kept += 1;
  }
  return { kept, full: 0 };
}

/**
 * `fitPrefix` for a message that ends with notes on what was left out. The notes take room too,
 * so each try reserves the notes it may need, sized with the largest numbers they could show (and
 * the `… and N more` wording: `overhead` is measured with one empty item, whose newline it
 * subtracts): first none, then the log note, then both. `total` may exceed the list's length
 * (items the caller did not hold are always reported as left out).
 */
export function fitWithNotes(
  items: readonly { full: number; lean: number }[],
  maxBytes: number,
  total: number,
  overhead: (omitted: number, logsLeftOut: number) => number,
): { kept: number; full: number } {
  const n = items.length;
  const unheld = Math.max(0, total - n);
  const everything = fitPrefix(items, maxBytes - overhead(unheld, 0));
  if (everything.kept === n && everything.full === n) return everything;
  const everySample = fitPrefix(items, maxBytes - overhead(unheld, n));
  if (everySample.kept === n) return everySample;
  return fitPrefix(items, maxBytes - overhead(Math.max(total, n), n));
}
