import type { Batch } from '../domain/batch.js';
import { type Launch, type LaunchStatus, launchIdFor, qcLaunchIdFor } from '../domain/launch.js';
import { notFoundError, usageError } from './exit-codes.js';
import type { Target } from './target.js';

/** Batches looked at when a batch is named rather than given by id. */
const NAME_SCAN_LIMIT = 2_000;

/** A batch by id, or by name when exactly one recent batch has that name. */
export async function resolveBatch(target: Target, ref: string): Promise<Batch> {
  const byId = await target.batches.get(ref);
  if (byId) return byId;
  const named: Batch[] = [];
  let cursor: string | undefined;
  let scanned = 0;
  do {
    const page = await target.batches.listRecent({}, { cursor, limit: 200 });
    named.push(...page.items.filter((batch) => batch.name === ref));
    scanned += page.items.length;
    cursor = page.cursor;
  } while (cursor && scanned < NAME_SCAN_LIMIT);
  const [only, ...others] = named;
  if (only && others.length === 0) return only;
  if (only) {
    const ids = named.map((batch) => `  ${batch.batchId}  ${batch.status}  created ${batch.createdAt}`);
    throw usageError(`${named.length} batches are named "${ref}"; give the batch id:\n${ids.join('\n')}`);
  }
  throw notFoundError(`no batch has the id or name "${ref}" (in ${target.description})`);
}

/** `<batch>/<sample>`: the batch part is an id or a name; the sample part never has a slash. */
export function splitLaunchRef(ref: string): { batchRef: string; sampleId: string } {
  const slash = ref.lastIndexOf('/');
  if (slash <= 0 || slash === ref.length - 1) {
    throw usageError(
      `"${ref}" is not a launch id: a launch id is <batchId>/<sampleId>, e.g. 3f2a9c0e1d2b3a4f5e6d/NA12878`,
    );
  }
  return { batchRef: ref.slice(0, slash), sampleId: ref.slice(slash + 1) };
}

/** A launch by its id (`<batchId>/<sampleId>`, or `<batch name>/<sampleId>`; `/qc` is the QC run). */
export async function resolveLaunch(target: Target, ref: string): Promise<Launch> {
  const { batchRef, sampleId } = splitLaunchRef(ref);
  const launchId = (batchId: string) =>
    sampleId === 'qc' || sampleId === '_qc' ? qcLaunchIdFor(batchId) : launchIdFor(batchId, sampleId);
  const direct = await target.launches.get(batchRef, launchId(batchRef));
  if (direct) return direct;
  const batch = await resolveBatch(target, batchRef);
  const launch = await target.launches.get(batch.batchId, launchId(batch.batchId));
  if (!launch)
    throw notFoundError(`batch ${batch.batchId} (${batch.name}) has no launch for sample "${sampleId}"`);
  return launch;
}

/** Every launch of a batch, all pages. */
export async function allLaunches(target: Target, batchId: string, status?: LaunchStatus): Promise<Launch[]> {
  const launches: Launch[] = [];
  let cursor: string | undefined;
  do {
    const page = await target.launches.listByBatch(batchId, { cursor, limit: 500, status });
    launches.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return launches;
}
