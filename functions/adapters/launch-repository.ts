import type { CreateEntityItem } from 'electrodb';
import { forEachConcurrently } from '../../domain/concurrency.js';
import type { Launch, LaunchStatus } from '../../domain/launch.js';
import type { LaunchRepository, Page, PageRequest, TimeRange, WriteResult } from '../../domain/ports.js';
import { isConditionFailure } from './dynamo-errors.js';
import type { Entities } from './entities.js';
import { launchRecord, readRecord } from './records.js';

const DEFAULT_PAGE = 100;
const BATCH_ROUNDS = 8;
/** Items per BatchWriteItem call and keys per BatchGetItem call (DynamoDB's limits). */
const BATCH_WRITE_MAX = 25;
const BATCH_GET_MAX = 100;
// ElectroDB turns `undefined` into nothing on put, which is what a full rewrite needs.
type Stored = CreateEntityItem<Entities['launch']>;

function toItem(launch: Launch): Stored {
  return launch as unknown as Stored;
}

// The status as stored, for launches whose `status` a person typed differently ("retry"): the
// condition of the next write must compare against what is in the table, not the normalized value.
const storedStatus = new WeakMap<Launch, string>();

function toLaunch(item: unknown): Launch {
  const launch = readRecord(launchRecord, 'launch', item);
  const raw = (item as { status?: unknown }).status;
  if (typeof raw === 'string' && raw !== launch.status) storedStatus.set(launch, raw);
  return launch;
}

function page(data: unknown[], cursor: string | null): Page<Launch> {
  return { items: data.map(toLaunch), cursor: cursor ?? undefined };
}

const MIN_TIME = '0000';
const MAX_TIME = '9999';

export function makeLaunchRepository(
  entities: Entities,
  options: { sleep?: (ms: number) => Promise<void>; writeConcurrency?: number } = {},
): LaunchRepository {
  const { launch } = entities;
  const writeConcurrency = options.writeConcurrency ?? 4;
  const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const keyOf = (item: { batchId: string; launchId: string }) => `${item.batchId}\n${item.launchId}`;

  /** DynamoDB hands back what it could not do under load: back off, then send only those. */
  async function inRounds<T>(items: T[], attempt: (pending: T[]) => Promise<T[]>): Promise<void> {
    let pending = items;
    for (let round = 0; pending.length > 0; round++) {
      if (round >= BATCH_ROUNDS) {
        throw new Error(`${pending.length} launch items stayed unprocessed after ${BATCH_ROUNDS} rounds`);
      }
      if (round > 0) await sleep(Math.min(2_000, 50 * 2 ** round));
      pending = await attempt(pending);
    }
  }

  /** Keys of the items of `group` that exist in a status other than REGISTERED. */
  async function movedOn(group: Stored[]): Promise<Set<string>> {
    const moved = new Set<string>();
    await inRounds(group, async (pending) => {
      const keys = pending.map(({ batchId, launchId }) => ({ batchId, launchId }));
      const result = await launch
        .get(keys)
        .go({ consistent: true, attributes: ['batchId', 'launchId', 'status'] });
      for (const item of result.data) if (item.status !== 'REGISTERED') moved.add(keyOf(item));
      const unprocessed = new Set(result.unprocessed.map(keyOf));
      return pending.filter((item) => unprocessed.has(keyOf(item)));
    });
    return moved;
  }

  async function writeAll(items: Stored[]): Promise<void> {
    await inRounds(items, async (pending) => {
      const result = await launch.put(pending).go();
      const unprocessed = new Set(result.unprocessed.map(keyOf));
      return pending.filter((item) => unprocessed.has(keyOf(item)));
    });
  }

  return {
    async get(batchId, launchId) {
      const result = await launch.get({ batchId, launchId }).go({ consistent: true });
      return result.data ? toLaunch(result.data) : undefined;
    },

    async putMany(launches) {
      // BatchWriteItem takes no condition and one conditional PutItem per launch costs about three
      // times as much, so each group is read first (one consistent BatchGetItem) and a launch that
      // exists in any status but REGISTERED is skipped: a late registration or a second QC write
      // never puts a launch that has moved on back to REGISTERED. Between the read and the write
      // a launch can only leave REGISTERED if its batch was registered and released by someone
      // else, which needs the writer's registration lease (renewed to at least half its length
      // before each chunk) to have expired first.
      const groups: Stored[][] = [];
      for (let i = 0; i < launches.length; i += BATCH_GET_MAX) {
        groups.push(launches.slice(i, i + BATCH_GET_MAX).map(toItem));
      }
      await forEachConcurrently(groups, writeConcurrency, async (group) => {
        const moved = await movedOn(group);
        const writable = group.filter((item) => !moved.has(keyOf(item)));
        for (let i = 0; i < writable.length; i += BATCH_WRITE_MAX) {
          await writeAll(writable.slice(i, i + BATCH_WRITE_MAX));
        }
      });
    },

    async replace(expected, next): Promise<WriteResult> {
      try {
        await launch
          .put(toItem(next))
          .where(
            (attr, op) =>
              `${op.eq(attr.revision, expected.revision)} AND ${op.eq(attr.status, storedStatus.get(expected) ?? expected.status)}`,
          )
          .go();
        return 'written';
      } catch (error) {
        if (isConditionFailure(error)) return 'conflict';
        throw error;
      }
    },

    async release(batchId, launchId, now): Promise<WriteResult> {
      try {
        await launch
          .patch({ batchId, launchId })
          .set({ status: 'QUEUED', updatedAt: now })
          .add({ revision: 1 })
          .append({ statusHistory: [{ status: 'QUEUED', at: now, source: 'gwm' }] })
          .where((attr, op) => op.eq(attr.status, 'REGISTERED'))
          .go();
        return 'written';
      } catch (error) {
        if (isConditionFailure(error)) return 'conflict';
        throw error;
      }
    },

    async findByRunId(runId) {
      const result = await launch.query.byRun({ runId }).go({ pages: 'all' });
      return result.data
        .map(toLaunch)
        .sort((a, b) => (b.submittedAt ?? '').localeCompare(a.submittedAt ?? ''));
    },

    async listByBatch(batchId, request: PageRequest & { status?: LaunchStatus } = {}) {
      const query = launch.query.byBatch({ batchId });
      const filtered = request.status
        ? query.where((attr, op) => op.eq(attr.status, request.status as string))
        : query;
      const result = await filtered.go({
        cursor: request.cursor ?? null,
        limit: request.limit ?? DEFAULT_PAGE,
      });
      return page(result.data, result.cursor);
    },

    async listBySample(sampleId, request: PageRequest = {}) {
      const result = await launch.query
        .bySample({ sampleId })
        .go({ cursor: request.cursor ?? null, limit: request.limit ?? DEFAULT_PAGE, order: 'desc' });
      return page(result.data, result.cursor);
    },

    async listByWorkflow(workflowId, range: TimeRange, request: PageRequest = {}) {
      const result = await launch.query
        .byWorkflow({ workflowId })
        .between({ createdAt: range.from ?? MIN_TIME }, { createdAt: range.to ?? MAX_TIME })
        .go({ cursor: request.cursor ?? null, limit: request.limit ?? DEFAULT_PAGE, order: 'desc' });
      return page(result.data, result.cursor);
    },

    async listByStatus(status, range: TimeRange, request: PageRequest = {}) {
      const result = await launch.query
        .byStatus({ status: status as string })
        .between({ updatedAt: range.from ?? MIN_TIME }, { updatedAt: range.to ?? MAX_TIME })
        .go({ cursor: request.cursor ?? null, limit: request.limit ?? DEFAULT_PAGE, order: 'desc' });
      return page(result.data, result.cursor);
    },
  };
}
