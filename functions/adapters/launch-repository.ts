import type { CreateEntityItem } from 'electrodb';
import { forEachConcurrently } from '../../domain/concurrency.js';
import type { Launch, LaunchStatus } from '../../domain/launch.js';
import type { LaunchRepository, Page, PageRequest, TimeRange, WriteResult } from '../../domain/ports.js';
import { isConditionFailure } from './dynamo-errors.js';
import type { Entities } from './entities.js';
import { launchRecord, readRecord } from './records.js';

const DEFAULT_PAGE = 100;
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
  options: { writeConcurrency?: number } = {},
): LaunchRepository {
  const { launch } = entities;
  const putConcurrency = options.writeConcurrency ?? 16;

  return {
    async get(batchId, launchId) {
      const result = await launch.get({ batchId, launchId }).go({ consistent: true });
      return result.data ? toLaunch(result.data) : undefined;
    },

    async putMany(launches) {
      // One conditional PutItem per launch (BatchWriteItem takes no condition): a registration
      // that lost its lease while a chunk was in flight, or an aggregator racing another for the
      // QC launch, must not put back to REGISTERED a launch that has moved on. A REGISTERED
      // launch is rewritten with the identical item; any other existing one is left alone.
      await forEachConcurrently(launches, putConcurrency, async (item) => {
        try {
          await launch
            .put(toItem(item))
            .where((attr, op) => `${op.notExists(attr.launchId)} OR ${op.eq(attr.status, 'REGISTERED')}`)
            .go();
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
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
