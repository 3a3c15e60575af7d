import { describe, expect, it } from 'vitest';
import {
  decodeShardCursors,
  encodeShardCursors,
  mergeShardPages,
  type ShardPage,
  STATUS_SHARD_IDS,
  STATUS_SHARDS,
  statusShardOf,
} from '../../functions/adapters/status-shards.js';

interface Row {
  at: string;
  id: string;
}

const options = {
  order: 'desc' as const,
  sortKey: (row: Row) => `${row.at}#${row.id}`,
  cursorAfter: (shard: string, row: Row) => `${shard}@${row.id}`,
};

describe('the status index shards', () => {
  it('puts a launch in the same shard every time, and 10,000 launches of one batch across all shards evenly', () => {
    // Prepare
    const ids = Array.from(
      { length: 10_000 },
      (_, i) => `0123456789abcdef0123/NA${String(i).padStart(5, '0')}`,
    );
    // Act
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(statusShardOf(id), (counts.get(statusShardOf(id)) ?? 0) + 1);
    // Assess
    expect(statusShardOf(ids[0] ?? '')).toBe(statusShardOf(ids[0] ?? ''));
    expect([...counts.keys()].sort()).toEqual([...STATUS_SHARD_IDS].sort());
    const even = ids.length / STATUS_SHARDS;
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(even * 0.85);
      expect(count).toBeLessThan(even * 1.15);
    }
  });

  it('merges one page per shard into the index order and goes on after the last launch taken from each', () => {
    // Prepare: newest first in each shard, as the index lists them
    const pages: ShardPage<Row>[] = [
      {
        shard: '0',
        items: [
          { at: '09', id: 'a' },
          { at: '05', id: 'b' },
          { at: '01', id: 'c' },
        ],
        cursor: 'c0',
      },
      {
        shard: '1',
        items: [
          { at: '08', id: 'd' },
          { at: '07', id: 'e' },
        ],
      },
      { shard: '2', items: [{ at: '02', id: 'f' }], cursor: 'c2' },
      { shard: '3', items: [] },
    ];
    // Act
    const merged = mergeShardPages(pages, decodeShardCursors(undefined), { ...options, limit: 4 });
    // Assess
    expect(merged.items.map((row) => row.id)).toEqual(['a', 'd', 'e', 'b']);
    // Shard 0 goes on after b, shard 1 was read to its end, shard 2 starts again, shard 3 is done.
    expect(merged.next).toEqual({ '0': '0@b', '2': null });
  });

  it('lists every launch once, in order, when paged through with the merged cursor', () => {
    // Prepare: 40 launches over the shards, each shard sorted newest first
    const rows = Array.from({ length: 40 }, (_, i) => ({ at: String(100 + ((i * 37) % 97)), id: `L${i}` }));
    const byShard = new Map<string, Row[]>();
    for (const row of rows)
      byShard.set(statusShardOf(row.id), [...(byShard.get(statusShardOf(row.id)) ?? []), row]);
    for (const list of byShard.values())
      list.sort((a, b) => options.sortKey(b).localeCompare(options.sortKey(a)));
    // A shard's query: up to `limit` rows after the cursor (the id of the last row taken).
    const read = (shard: string, cursor: string | null, limit: number): ShardPage<Row> => {
      const list = byShard.get(shard) ?? [];
      const start = cursor === null ? 0 : list.findIndex((row) => `${shard}@${row.id}` === cursor) + 1;
      const items = list.slice(start, start + limit);
      const more = start + limit < list.length;
      return {
        shard,
        items,
        ...(more && items.length > 0 ? { cursor: `${shard}@${items.at(-1)?.id}` } : {}),
      };
    };
    // Act
    const seen: Row[] = [];
    let cursor: string | undefined;
    do {
      const from = decodeShardCursors(cursor);
      const pages = Object.entries(from).map(([shard, at]) => read(shard, at, 3));
      const merged = mergeShardPages(pages, from, { ...options, limit: 3 });
      seen.push(...merged.items);
      cursor = merged.next ? encodeShardCursors(merged.next) : undefined;
    } while (cursor);
    // Assess
    const expected = [...rows].sort((a, b) => options.sortKey(b).localeCompare(options.sortKey(a)));
    expect(seen.map((row) => row.id)).toEqual(expected.map((row) => row.id));
  });

  it('refuses a cursor that is not one of its own', () => {
    // Prepare
    const foreign = Buffer.from(JSON.stringify({ nine: 'x' })).toString('base64url');
    // Act and Assess
    expect(() => decodeShardCursors(foreign)).toThrow(/not a cursor of the status index/);
    expect(() => decodeShardCursors('%%%')).toThrow(/not a cursor of the status index/);
  });
});
