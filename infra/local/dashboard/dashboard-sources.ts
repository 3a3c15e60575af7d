import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Batch } from '../../../domain/batch.js';
import type { Launch } from '../../../domain/launch.js';
import type { BatchRepository, LaunchRepository } from '../../../domain/ports.js';
import { deadLetterDirOf } from '../endpoints.js';
import { readJsonLines } from '../json-lines.js';
import { METRICS_JOURNAL } from '../metrics-journal.js';
import { listBatchLaunches } from '../wait.js';
import { COST_WINDOW, type DashboardSources, metricPointsOf } from './dashboard-data.js';

/** The table as the dashboard reads it. */
export interface DashboardTable {
  batches: BatchRepository;
  launches: LaunchRepository;
}

/** Batches registered this long ago or less are shown, with their launches. */
const RECENT_MS = COST_WINDOW.spanMs;
const MAX_BATCHES = 200;

/** What the local dashboard shows, read now: the metrics journal, the table, the dead-letter files. */
export async function readDashboardSources(
  stateDir: string,
  table: DashboardTable,
  now: Date,
): Promise<DashboardSources> {
  const records = await readJsonLines<unknown>(join(stateDir, METRICS_JOURNAL));
  const since = now.getTime() - RECENT_MS;
  const points = metricPointsOf(records).filter((point) => point.time >= since);
  const batches = await recentBatches(table.batches, new Date(since).toISOString());
  const launches: Launch[] = [];
  for (const batch of batches) launches.push(...(await listBatchLaunches(table.launches, batch.batchId)));
  return {
    points,
    batches,
    launches,
    deadLetters: await deadLetterCounts(deadLetterDirOf(stateDir)),
    now,
  };
}

async function recentBatches(batches: BatchRepository, from: string): Promise<Batch[]> {
  const found: Batch[] = [];
  let cursor: string | undefined;
  do {
    const page = await batches.listRecent({ from }, { cursor, limit: 100 });
    found.push(...page.items);
    cursor = page.cursor;
  } while (cursor && found.length < MAX_BATCHES);
  return found.slice(0, MAX_BATCHES);
}

/** Messages in each local failure queue: the lines of its dead-letter file. */
async function deadLetterCounts(dir: string): Promise<Array<{ name: string; count: number }>> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((file) => file.endsWith('.jsonl')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const counts: Array<{ name: string; count: number }> = [];
  for (const file of files) {
    counts.push({ name: basename(file, '.jsonl'), count: (await readJsonLines(join(dir, file))).length });
  }
  return counts;
}
