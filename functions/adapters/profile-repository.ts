import type { WorkflowProfileRepository } from '../../domain/ports.js';
import type { WorkflowProfile } from '../../domain/workflow.js';
import type { Entities } from './entities.js';
import { namedItems } from './named-items.js';
import { profileRecord, readRecord } from './records.js';

const toProfile = (item: unknown): WorkflowProfile => readRecord(profileRecord, 'workflowProfile', item);

export function makeProfileRepository(
  entities: Entities,
  now: () => Date = () => new Date(),
): WorkflowProfileRepository {
  return namedItems(entities.profile, toProfile, now);
}
