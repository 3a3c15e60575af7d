import type { CreateEntityItem } from 'electrodb';
import { backoffMs } from '../../domain/backoff.js';
import type { Restore } from '../../domain/inputs/restore.js';
import type { RestoreRepository, WriteResult } from '../../domain/ports.js';
import { conditionalWrite } from './dynamo-errors.js';
import type { Entities } from './entities.js';
import { readRecord, restoreRecord } from './records.js';

type Stored = CreateEntityItem<Entities['restore']>;
const toItem = (restore: Restore): Stored => restore;

const toRestore = (item: unknown): Restore => readRecord(restoreRecord, 'restore', item);

/** Writes per BatchWriteItem call (DynamoDB's limit). */
const BATCH_WRITE_MAX = 25;

/** Restore items by object URI, and their waiters (one item per object and launch, in the object's partition). */
export function makeRestoreRepository(entities: Entities): RestoreRepository {
  const { restore, restoreWaiter } = entities;
  const get = async (uri: string): Promise<Restore | undefined> => {
    const result = await restore.get({ uri }).go({ consistent: true });
    return result.data ? toRestore(result.data) : undefined;
  };
  return {
    get,

    async create(next): Promise<WriteResult> {
      return conditionalWrite(() => restore.create(toItem(next)).go());
    },

    async replace(expected, next): Promise<WriteResult> {
      return conditionalWrite(() =>
        restore
          .put(toItem(next))
          .where((attr, op) => op.eq(attr.revision, expected.revision))
          .go(),
      );
    },

    async addWaiters(uri, waiters) {
      // One waiter (a launcher restoring an expired copy) is one PutItem: no batch write needed.
      if (waiters.length === 1 && waiters[0]) {
        await restoreWaiter.put({ uri, ...waiters[0] }).go({ response: 'none' });
        return;
      }
      for (let start = 0; start < waiters.length; start += BATCH_WRITE_MAX) {
        let pending = waiters.slice(start, start + BATCH_WRITE_MAX).map((waiter) => ({ uri, ...waiter }));
        for (let round = 0; pending.length > 0; round++) {
          if (round >= 8) throw new Error(`${pending.length} restore waiters stayed unprocessed`);
          if (round > 0)
            await new Promise((resolve) => setTimeout(resolve, backoffMs(round, { baseMs: 100 })));
          const result = await restoreWaiter.put(pending).go();
          const left = new Set(result.unprocessed.map((item) => `${item.batchId}\n${item.launchId}`));
          pending = pending.filter((item) => left.has(`${item.batchId}\n${item.launchId}`));
        }
      }
    },

    async listWaiters(uri, request = {}) {
      const result = await restoreWaiter.query
        .byUri({ uri })
        .go({ cursor: request.cursor ?? null, limit: request.limit ?? 500 });
      return {
        items: result.data.map(({ batchId, launchId }) => ({ batchId, launchId })),
        cursor: result.cursor ?? undefined,
      };
    },

    async listDue(dueBy, request = {}) {
      const result = await restore.query
        .due({ state: 'REQUESTED' })
        .lte({ dueAt: dueBy })
        .go({ cursor: request.cursor ?? null, limit: request.limit ?? 100, attributes: ['uri'] });
      // The index holds the key only: each restore is read whole, and kept only if it is still due.
      const items: Restore[] = [];
      for (const { uri } of result.data) {
        const found = await get(uri);
        if (found?.state === 'REQUESTED' && found.dueAt <= dueBy) items.push(found);
      }
      return { items, cursor: result.cursor ?? undefined };
    },
  };
}
