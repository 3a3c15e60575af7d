import { shortHash } from '../../domain/launch.js';

/**
 * The status index spreads the launches of one status over this many partitions: a registration
 * of 10,000 samples writes them all QUEUED at once, and one partition key takes at most about
 * 1,000 writes a second. A launch's shard comes from its id, so it never changes with its status.
 */
export const STATUS_SHARDS = 8;

export const STATUS_SHARD_IDS: readonly string[] = Array.from({ length: STATUS_SHARDS }, (_, i) => String(i));

/** The shard of a launch in the status index: a stable hash of its id. */
export function statusShardOf(launchId: string): string {
  return String(Number.parseInt(shortHash(launchId).slice(0, 8), 16) % STATUS_SHARDS);
}

/** Where each shard's query goes on from: an index cursor, null for its start; a shard not listed is read to its end. */
export type ShardCursors = Record<string, string | null>;

export interface ShardPage<T> {
  shard: string;
  /** In index order. */
  items: T[];
  /** The index's cursor after the page; undefined: the shard has nothing more. */
  cursor?: string;
}

/**
 * One page over all shards in index order, from one page read from each: the `limit` first items
 * of the merge, and for each shard where its next query starts (after the last item taken from
 * it, which need not be the end of its page). `sortKey` orders items as the index sort key does.
 */
export function mergeShardPages<T>(
  pages: readonly ShardPage<T>[],
  from: ShardCursors,
  options: {
    limit: number;
    order: 'asc' | 'desc';
    sortKey: (item: T) => string;
    cursorAfter: (shard: string, item: T) => string;
  },
): { items: T[]; next?: ShardCursors } {
  const sign = options.order === 'asc' ? 1 : -1;
  const all = pages.flatMap((page) =>
    page.items.map((item) => ({ shard: page.shard, item, key: options.sortKey(item) })),
  );
  all.sort((a, b) => sign * (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) || (a.shard < b.shard ? -1 : 1));
  const taken = all.slice(0, Math.max(0, options.limit));
  const next: ShardCursors = {};
  for (const page of pages) {
    const mine = taken.filter((entry) => entry.shard === page.shard);
    const last = mine.at(-1);
    if (mine.length === page.items.length) {
      if (page.cursor !== undefined) next[page.shard] = page.cursor;
    } else {
      next[page.shard] = last ? options.cursorAfter(page.shard, last.item) : (from[page.shard] ?? null);
    }
  }
  return { items: taken.map((entry) => entry.item), ...(Object.keys(next).length > 0 ? { next } : {}) };
}

/** The cursor handed to callers: every unfinished shard's own cursor. */
export function encodeShardCursors(cursors: ShardCursors): string {
  return Buffer.from(JSON.stringify(cursors)).toString('base64url');
}

export function decodeShardCursors(cursor: string | undefined): ShardCursors {
  if (!cursor) return Object.fromEntries(STATUS_SHARD_IDS.map((shard) => [shard, null]));
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new Error(`not a cursor of the status index: ${cursor}`);
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    !Object.entries(parsed).every(
      ([shard, value]) => STATUS_SHARD_IDS.includes(shard) && (value === null || typeof value === 'string'),
    )
  ) {
    throw new Error(`not a cursor of the status index: ${cursor}`);
  }
  return parsed as ShardCursors;
}
