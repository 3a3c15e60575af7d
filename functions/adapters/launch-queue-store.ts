import { OPEN_BATCH_STATUSES } from '../../domain/batch.js';
import type { LaunchQueueStore, QueuedBatch } from '../../domain/ports.js';
import { inFlightPart, waitingPart } from '../../domain/scheduling/launch-queue.js';
import { isConditionFailure } from './dynamo-errors.js';
import type { Entities } from './entities.js';

const BATCH_GET_MAX = 100;
/** The item that keeps the virtual pass; `$` cannot start a team name, so no flow is named so. */
const VIRTUAL_PASS = '$virtual';

/** The launch queue over the `queue` index and the flows' pass items. */
export function makeLaunchQueueStore(entities: Entities): LaunchQueueStore {
  const { batch, launch, sharePass } = entities;
  /** Sets the pass to `pass` unless it is already there or beyond (another launcher got there first). */
  const raise = async (flow: string, pass: number) => {
    try {
      await sharePass
        .upsert({ flow, pass })
        .where((attr, op) => `${op.notExists(attr.pass)} OR ${op.lt(attr.pass, pass)}`)
        .go();
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  };
  return {
    async openBatches() {
      const open: QueuedBatch[] = [];
      for (const status of OPEN_BATCH_STATUSES) {
        let cursor: string | null = null;
        do {
          const page: { data: Partial<QueuedBatch>[]; cursor: string | null } = await batch.query
            .open({ status })
            .go({ cursor, limit: 100, attributes: ['batchId', 'team', 'priority', 'createdAt'] });
          for (const item of page.data) {
            if (item.batchId === undefined || item.createdAt === undefined) continue;
            open.push({
              batchId: item.batchId,
              team: item.team,
              priority: item.priority,
              createdAt: item.createdAt,
            });
          }
          cursor = page.cursor;
        } while (cursor);
      }
      return open;
    },
    async registeringBatches() {
      // Their ids from the index alone (read at every refresh of the queue view), oldest first:
      // the oldest registration is the one most likely to finish first.
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { data: { batchId?: string }[]; cursor: string | null } = await batch.query
          .open({ status: 'REGISTERING' })
          .go({ cursor, limit: 100, attributes: ['batchId'] });
        for (const item of page.data) if (item.batchId !== undefined) ids.push(item.batchId);
        cursor = page.cursor;
      } while (cursor);
      return ids;
    },
    async waiting(batchId, limit) {
      const result = await launch.query
        .inQueue({ queuePart: waitingPart(batchId) })
        .go({ limit, attributes: ['launchId'] });
      return result.data.map((item) => item.launchId);
    },
    async inFlight(team, limit) {
      const result = await launch.query
        .inQueue({ queuePart: inFlightPart(team) })
        .go({ limit, attributes: ['launchId'] });
      return result.data.map((item) => item.launchId);
    },
    async passes(flows) {
      const passes = new Map<string, number>();
      const wanted = [VIRTUAL_PASS, ...flows];
      for (let start = 0; start < wanted.length; start += BATCH_GET_MAX) {
        const keys = wanted.slice(start, start + BATCH_GET_MAX).map((flow) => ({ flow }));
        const result = await sharePass.get(keys).go({ preserveBatchOrder: false });
        for (const item of result.data) if (item) passes.set(item.flow, item.pass);
      }
      const virtualPass = passes.get(VIRTUAL_PASS) ?? 0;
      passes.delete(VIRTUAL_PASS);
      return { passes, virtualPass };
    },
    async served(flow, stride, pass) {
      const grow = async () => {
        // One request when the flow was not lifted (its stored pass is at `pass` or beyond already).
        try {
          await sharePass
            .update({ flow })
            .add({ pass: stride })
            .where((attr, op) => op.gte(attr.pass, pass))
            .go();
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
          await raise(flow, pass);
          await sharePass.update({ flow }).add({ pass: stride }).go();
        }
      };
      await Promise.all([grow(), raise(VIRTUAL_PASS, pass)]);
    },
  };
}
