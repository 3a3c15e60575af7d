import type { Restore, RestoreWaiter } from '../../domain/inputs/restore.js';
import type { RestoreRepository } from '../../domain/ports.js';

/** Restore items and waiters in maps, with the conditional writes the use cases rely on. */
export function memoryRestores(): RestoreRepository & { items: Map<string, Restore> } {
  const items = new Map<string, Restore>();
  const waiters = new Map<string, RestoreWaiter[]>();
  return {
    items,
    async get(uri) {
      return items.get(uri);
    },
    async create(restore) {
      if (items.has(restore.uri)) return 'conflict';
      items.set(restore.uri, restore);
      return 'written';
    },
    async replace(expected, next) {
      if (items.get(expected.uri)?.revision !== expected.revision) return 'conflict';
      items.set(next.uri, next);
      return 'written';
    },
    async addWaiters(uri, added) {
      const list = waiters.get(uri) ?? [];
      for (const waiter of added) {
        if (!list.some((each) => each.launchId === waiter.launchId && each.batchId === waiter.batchId))
          list.push(waiter);
      }
      waiters.set(uri, list);
    },
    async listWaiters(uri) {
      return { items: [...(waiters.get(uri) ?? [])] };
    },
    async listDue(dueBy) {
      return {
        items: [...items.values()]
          .filter((restore) => restore.state === 'REQUESTED' && restore.dueAt <= dueBy)
          .sort((a, b) => a.dueAt.localeCompare(b.dueAt)),
      };
    },
  };
}
