import type { TeamRepository } from '../../domain/ports.js';
import type { Team } from '../../domain/teams/team.js';
import type { Entities } from './entities.js';
import { namedItems } from './named-items.js';
import { readRecord, teamRecord } from './records.js';

const toTeam = (item: unknown): Team => readRecord(teamRecord, 'team', item);

/** Team items: one per team, edited with `gwm teams` or in the console. */
export function makeTeamRepository(entities: Entities, now: () => Date = () => new Date()): TeamRepository {
  const { team } = entities;
  return {
    ...namedItems(team, toTeam, now),
    async remove(name) {
      const result = await team.delete({ name }).go({ response: 'all_old' });
      return result.data !== null && result.data !== undefined;
    },
  };
}
