import type { CreateEntityItem } from 'electrodb';
import { backoffMs } from '../../domain/backoff.js';
import {
  type Batch,
  HELD_BATCH_STATUSES,
  type INDEXED_BATCH_STATUSES,
  OPEN_BATCH_STATUSES,
  UNFINISHED_REGISTRATION_STATUSES,
} from '../../domain/batch.js';
import type { BatchRepository, Page, PageRequest, TimeRange, WriteResult } from '../../domain/ports.js';
import { conditionalWrite } from './dynamo-errors.js';
import type { Entities } from './entities.js';
import { UNPROCESSED_BACKOFF } from './launch-repository.js';
import { batchRecord, readRecord } from './records.js';

type Stored = CreateEntityItem<Entities['batch']>;
// The team index's sort key is derived, present only beside a team (a sparse index takes all its keys or none).
const toItem = (batch: Batch): Stored => ({
  ...batch,
  teamOrder: batch.team === undefined ? undefined : `${batch.createdAt}#${batch.batchId}`,
});
const toBatch = (item: unknown): Batch => readRecord(batchRecord, 'batch', item);

const BATCH_GET_MAX = 100;
const BATCH_GET_ROUNDS = 8;

export function makeBatchRepository(entities: Entities): BatchRepository {
  const { batch } = entities;

  /**
   * The batches at `ids` as the table holds them (consistent BatchGetItem), in the order of `ids`:
   * the indexes hold a batch's id and a few attributes, not the batch. A batch gone is left out.
   */
  async function readWhole(items: readonly { batchId: string }[]): Promise<Batch[]> {
    const found = new Map<string, unknown>();
    for (let i = 0; i < items.length; i += BATCH_GET_MAX) {
      let pending = items.slice(i, i + BATCH_GET_MAX).map(({ batchId }) => ({ batchId }));
      for (let round = 0; pending.length > 0; round++) {
        if (round >= BATCH_GET_ROUNDS) {
          throw new Error(
            `${pending.length} batch items stayed unprocessed after ${BATCH_GET_ROUNDS} rounds`,
          );
        }
        if (round > 0)
          await new Promise((resolve) => setTimeout(resolve, backoffMs(round, UNPROCESSED_BACKOFF)));
        const result = await batch.get(pending).go({ consistent: true });
        for (const item of result.data) found.set(item.batchId, item);
        pending = result.unprocessed.map(({ batchId }) => ({ batchId }));
      }
    }
    return items.flatMap(({ batchId }) => (found.has(batchId) ? [toBatch(found.get(batchId))] : []));
  }

  /** Batches in `statuses`, newest first within each; one index partition per status, the cursor names the one it continues. */
  async function listIndexed(statuses: readonly IndexedStatus[], request: PageRequest): Promise<Page<Batch>> {
    const [status, inner] = decodeCursor(statuses, request.cursor);
    const remaining = statuses.slice(statuses.indexOf(status));
    const items: Batch[] = [];
    const limit = request.limit ?? 50;
    let cursor: string | null = inner;
    for (const [index, current] of remaining.entries()) {
      const result = await batch.query
        .open({ status: current })
        .go({ cursor, limit: limit - items.length, order: 'desc', attributes: ['batchId'] });
      // Read whole, as they are now: a batch a person edited (status REJECTED on a held batch) is
      // still under its old status here, and its reader looks at what it holds now.
      items.push(...(await readWhole(result.data)));
      cursor = null;
      if (result.cursor) return { items, cursor: encodeCursor(current, result.cursor) };
      const next = remaining[index + 1];
      if (items.length >= limit && next) return { items, cursor: encodeCursor(next, null) };
    }
    return { items };
  }

  return {
    async get(batchId) {
      const result = await batch.get({ batchId }).go({ consistent: true });
      return result.data ? toBatch(result.data) : undefined;
    },

    async create(next): Promise<WriteResult> {
      return conditionalWrite(() => batch.create(toItem(next)).go());
    },

    async replace(expected, next): Promise<WriteResult> {
      return conditionalWrite(() =>
        batch
          .put(toItem(next))
          .where(
            (attr, op) =>
              `${op.eq(attr.revision, expected.revision)} AND ${op.eq(attr.status, expected.status as string)}`,
          )
          .go(),
      );
    },

    async listRecent(range: TimeRange, request: PageRequest = {}) {
      const result = await batch.query
        .recent({})
        .between({ createdAt: range.from ?? '0000' }, { createdAt: range.to ?? '9999' })
        .go({
          cursor: request.cursor ?? null,
          limit: request.limit ?? 50,
          order: 'desc',
          attributes: ['batchId'],
        });
      return { items: await readWhole(result.data), cursor: result.cursor ?? undefined };
    },

    listOpen: (request: PageRequest = {}) => listIndexed(OPEN_BATCH_STATUSES, request),

    listUnfinishedRegistrations: (request: PageRequest = {}) =>
      listIndexed(UNFINISHED_REGISTRATION_STATUSES, request),

    listHeld: (request: PageRequest = {}) => listIndexed(HELD_BATCH_STATUSES, request),

    async listSending(request: PageRequest = {}) {
      const result = await batch.query
        .sending({ notificationState: 'SENDING' })
        .go({ cursor: request.cursor ?? null, limit: request.limit ?? 50, attributes: ['batchId'] });
      return { items: await readWhole(result.data), cursor: result.cursor ?? undefined };
    },
  };
}

type IndexedStatus = (typeof INDEXED_BATCH_STATUSES)[number];

function encodeCursor(status: IndexedStatus, inner: string | null): string {
  return JSON.stringify([status, inner]);
}

function decodeCursor(
  statuses: readonly IndexedStatus[],
  cursor: string | undefined,
): [IndexedStatus, string | null] {
  const [first] = statuses;
  if (first === undefined) throw new Error('no batch status to list');
  if (!cursor) return [first, null];
  const [status, inner] = JSON.parse(cursor) as [IndexedStatus, string | null];
  if (!statuses.includes(status))
    throw new Error(`not a cursor of batches ${statuses.join(', ')}: ${cursor}`);
  return [status, inner];
}
