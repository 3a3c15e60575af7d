import { createConversions } from 'electrodb';
import type { LaunchStatus } from '../../domain/launch.js';
import type { PageRequest, TimeRange, WaitingLaunchReader } from '../../domain/ports.js';
import type { WaitingLaunch } from '../../domain/scheduling/waiting.js';
import type { Entities } from './entities.js';
import {
  decodeShardCursors,
  encodeShardCursors,
  mergeShardPages,
  type ShardCursors,
  STATUS_SHARD_IDS,
} from './status-shards.js';

const MIN_TIME = '0000';
const MAX_TIME = '9999';

export interface LaunchKey {
  batchId: string;
  launchId: string;
}

/**
 * The launches of a status as the status index lists them: every query fans out over the status'
 * shards and merges them back into one order (last update, newest first), with one cursor that
 * carries each shard's own. The index holds keys and a few attributes (functions/adapters/table.ts):
 * whoever needs the whole launch reads it from the table.
 */
export function makeStatusIndex(entities: Entities) {
  const { launch } = entities;
  const toCursor = createConversions(launch).byAccessPattern.byStatus.fromComposite.toCursor;
  const query = (status: LaunchStatus, statusShard: string, range: TimeRange) =>
    launch.query
      .byStatus({ status, statusShard })
      .between({ updatedAt: range.from ?? MIN_TIME }, { updatedAt: range.to ?? MAX_TIME });

  return {
    /** One page of the launches in `status` last updated within `range`, newest update first. */
    async page(
      status: LaunchStatus,
      range: TimeRange,
      request: PageRequest,
    ): Promise<{ keys: LaunchKey[]; cursor?: string }> {
      const from = decodeShardCursors(request.cursor);
      const limit = request.limit ?? 100;
      const pages = await Promise.all(
        Object.entries(from).map(async ([shard, cursor]) => {
          const result = await query(status, shard, range).go({
            cursor,
            limit,
            order: 'desc',
            attributes: ['batchId', 'launchId', 'updatedAt'],
          });
          return { shard, items: result.data, cursor: result.cursor ?? undefined };
        }),
      );
      const merged = mergeShardPages(pages, from, {
        limit,
        order: 'desc',
        sortKey: (item) => `${item.updatedAt}#${item.launchId}`,
        cursorAfter: (shard, item) =>
          toCursor({
            batchId: item.batchId,
            launchId: item.launchId,
            status,
            statusShard: shard,
            updatedAt: item.updatedAt,
          }),
      });
      return {
        keys: merged.items.map(({ batchId, launchId }) => ({ batchId, launchId })),
        ...(merged.next ? { cursor: encodeShardCursors(merged.next) } : {}),
      };
    },
  };
}

/** Waiting launches read from the status index alone, one shard after another. */
export function makeWaitingLaunchReader(entities: Entities): WaitingLaunchReader {
  const { launch } = entities;
  return {
    async listWaiting(status, request: PageRequest = {}) {
      const cursors = decodeShardCursors(request.cursor);
      const shard = STATUS_SHARD_IDS.find((id) => id in cursors);
      if (shard === undefined) return { items: [] };
      const result = await launch.query.byStatus({ status, statusShard: shard }).go({
        cursor: cursors[shard] ?? null,
        limit: request.limit ?? 1_000,
        attributes: ['team', 'waitingSince', 'updatedAt'],
      });
      const items: WaitingLaunch[] = result.data.map((item) => ({
        status,
        ...(item.team !== undefined ? { team: item.team } : {}),
        // An item last written before gwm kept `waitingSince`: its last update is the best known.
        waitingSince: item.waitingSince ?? item.updatedAt,
      }));
      const next: ShardCursors = { ...cursors };
      if (result.cursor) next[shard] = result.cursor;
      else delete next[shard];
      return { items, ...(Object.keys(next).length > 0 ? { cursor: encodeShardCursors(next) } : {}) };
    },
  };
}
