import type { TableSnapshot } from './observe.js';

/**
 * Each priced run attempt is in its batch's cost exactly once: a batch's `cost` (totalUsd,
 * runsPriced) is the sum of its PRICED cost marks, and a cost stored on a launch (current attempt
 * or an earlier one) is the one its attempt's mark settled. Attempts still being priced when the
 * stack stopped (their requests wait in the queue's journal) are in neither, which is allowed.
 * Returns how many priced attempts were checked.
 */
export function checkCostOnce(table: TableSnapshot, fail: (subject: string, detail: string) => void): number {
  const priced = table.costMarks.filter((mark) => mark.state === 'PRICED');
  const markOf = new Map(priced.map((mark) => [`${mark.launchId}#${mark.attempt}`, mark]));
  for (const batch of table.batches) {
    const marks = priced.filter((mark) => mark.batchId === batch.batchId);
    const sum = marks.reduce((total, mark) => total + Number(mark.cost?.totalUsd ?? 0), 0);
    const stored = {
      totalUsd: Number(batch.cost?.totalUsd ?? 0),
      runsPriced: Number(batch.cost?.runsPriced ?? 0),
    };
    // Amounts are stored to a millionth of a dollar; DynamoDB adds them exactly.
    if (
      stored.runsPriced !== marks.length ||
      Math.abs(stored.totalUsd - sum) > 1e-6 * Math.max(1, marks.length)
    ) {
      fail(
        `batch ${batch.batchId} (${batch.name})`,
        `cost ${stored.totalUsd} over ${stored.runsPriced} runs, but ${marks.length} priced attempts add up to ${sum.toFixed(6)}`,
      );
    }
  }
  for (const launch of table.launches) {
    const stored = [
      ...(launch.cost
        ? [{ attempt: Number(launch.cost.attempt), cost: launch.cost, runId: launch.runId }]
        : []),
      ...(launch.attempts ?? []).flatMap((previous) =>
        previous.cost
          ? [{ attempt: Number(previous.attempt), cost: previous.cost, runId: previous.runId }]
          : [],
      ),
    ];
    for (const entry of stored) {
      const mark = markOf.get(`${launch.launchId}#${entry.attempt}`);
      if (!mark) {
        fail(launch.launchId, `attempt ${entry.attempt} has a cost but no priced cost mark`);
      } else if (Number(mark.cost?.totalUsd) !== Number(entry.cost.totalUsd) || mark.runId !== entry.runId) {
        fail(
          launch.launchId,
          `attempt ${entry.attempt}: the launch says ${entry.cost.totalUsd} for run ${entry.runId}, its mark ${mark.cost?.totalUsd} for run ${mark.runId}`,
        );
      }
    }
  }
  return priced.length;
}
