import type { CreateEntityItem } from 'electrodb';
import { type Batch, OPEN_BATCH_STATUSES } from '../../domain/batch.js';
import type { BatchRepository, PageRequest, TimeRange, WriteResult } from '../../domain/ports.js';
import { isConditionFailure } from './dynamo-errors.js';
import type { Entities } from './entities.js';
import { batchRecord, readRecord } from './records.js';

type Stored = CreateEntityItem<Entities['batch']>;
const toItem = (batch: Batch) => batch as unknown as Stored;
const toBatch = (item: unknown): Batch => readRecord(batchRecord, 'batch', item);

export function makeBatchRepository(entities: Entities): BatchRepository {
  const { batch } = entities;
  return {
    async get(batchId) {
      const result = await batch.get({ batchId }).go({ consistent: true });
      return result.data ? toBatch(result.data) : undefined;
    },

    async create(next): Promise<WriteResult> {
      try {
        await batch.create(toItem(next)).go();
        return 'written';
      } catch (error) {
        if (isConditionFailure(error)) return 'conflict';
        throw error;
      }
    },

    async replace(expected, next): Promise<WriteResult> {
      try {
        await batch
          .put(toItem(next))
          .where(
            (attr, op) =>
              `${op.eq(attr.revision, expected.revision)} AND ${op.eq(attr.status, expected.status as string)}`,
          )
          .go();
        return 'written';
      } catch (error) {
        if (isConditionFailure(error)) return 'conflict';
        throw error;
      }
    },

    async listRecent(range: TimeRange, request: PageRequest = {}) {
      const result = await batch.query
        .recent({})
        .between({ createdAt: range.from ?? '0000' }, { createdAt: range.to ?? '9999' })
        .go({ cursor: request.cursor ?? null, limit: request.limit ?? 50, order: 'desc' });
      return { items: result.data.map(toBatch), cursor: result.cursor ?? undefined };
    },

    async listOpen(request: PageRequest = {}) {
      // One partition per open status; the cursor names the status it continues.
      const [status, inner] = decodeOpenCursor(request.cursor);
      const statuses = OPEN_BATCH_STATUSES.slice(OPEN_BATCH_STATUSES.indexOf(status));
      const items: Batch[] = [];
      const limit = request.limit ?? 50;
      let cursor: string | null = inner;
      for (const [index, current] of statuses.entries()) {
        const result = await batch.query
          .open({ status: current })
          .go({ cursor, limit: limit - items.length, order: 'desc' });
        items.push(...result.data.map(toBatch));
        cursor = null;
        if (result.cursor) return { items, cursor: encodeOpenCursor(current, result.cursor) };
        const next = statuses[index + 1];
        if (items.length >= limit && next) return { items, cursor: encodeOpenCursor(next, null) };
      }
      return { items };
    },

    async listSending(request: PageRequest = {}) {
      const result = await batch.query
        .sending({ notificationState: 'SENDING' })
        .go({ cursor: request.cursor ?? null, limit: request.limit ?? 50 });
      return { items: result.data.map(toBatch), cursor: result.cursor ?? undefined };
    },
  };
}

type OpenStatus = (typeof OPEN_BATCH_STATUSES)[number];

function encodeOpenCursor(status: OpenStatus, inner: string | null): string {
  return JSON.stringify([status, inner]);
}

function decodeOpenCursor(cursor: string | undefined): [OpenStatus, string | null] {
  if (!cursor) return [OPEN_BATCH_STATUSES[0], null];
  const [status, inner] = JSON.parse(cursor) as [OpenStatus, string | null];
  if (!OPEN_BATCH_STATUSES.includes(status)) throw new Error(`not a cursor of open batches: ${cursor}`);
  return [status, inner];
}
