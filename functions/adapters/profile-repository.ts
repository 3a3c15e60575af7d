import type { WorkflowProfileRepository } from '../../domain/ports.js';
import type { WorkflowProfile } from '../../domain/workflow.js';
import type { Entities } from './entities.js';
import { profileRecord, readRecord } from './records.js';

const toProfile = (item: unknown): WorkflowProfile => readRecord(profileRecord, 'workflowProfile', item);

export function makeProfileRepository(
  entities: Entities,
  now: () => Date = () => new Date(),
): WorkflowProfileRepository {
  const { profile } = entities;
  return {
    async list() {
      const result = await profile.query.byName({}).go({ pages: 'all' });
      return result.data.map(toProfile);
    },
    async get(name) {
      const result = await profile.get({ name }).go();
      return result.data ? toProfile(result.data) : undefined;
    },
    async put(next) {
      await profile.put({ ...next, updatedAt: now().toISOString() }).go();
    },
  };
}
