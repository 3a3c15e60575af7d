/**
 * What the repositories of items keyed by name alone use of their entity (workflow profiles and
 * teams: one item each, edited with the CLI or in the console).
 */
interface NamedEntity<T> {
  query: {
    byName(key: Record<string, never>): { go(options: { pages: 'all' }): Promise<{ data: unknown[] }> };
  };
  get(key: { name: string }): { go(): Promise<{ data: unknown }> };
  put(item: T & { updatedAt: string }): { go(): Promise<unknown> };
}

export interface NamedItems<T> {
  list(): Promise<T[]>;
  get(name: string): Promise<T | undefined>;
  put(next: T): Promise<void>;
}

/**
 * Listing, reading and writing items keyed by name: each item read is checked by `read` (a person
 * may have edited it in the console), each written is stamped with the time it was written.
 */
export function namedItems<T>(
  entity: NamedEntity<T>,
  read: (item: unknown) => T,
  now: () => Date,
): NamedItems<T> {
  return {
    async list() {
      const result = await entity.query.byName({}).go({ pages: 'all' });
      return result.data.map(read);
    },
    async get(name) {
      const result = await entity.get({ name }).go();
      return result.data ? read(result.data) : undefined;
    },
    async put(next) {
      await entity.put({ ...next, updatedAt: now().toISOString() }).go();
    },
  };
}
