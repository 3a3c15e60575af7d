import type { BatchPlan, ManifestProblem } from '../manifest/types.js';
import type { TeamRepository } from '../ports.js';
import { type DeploymentScope, effectivePrefixes, resolveTeam, type Team } from '../teams/team.js';

/** The team a manifest belongs to, and what that allows its manifest. */
export interface ManifestTeam {
  /** The team, when it could be told from where the manifest was uploaded. */
  team?: Team;
  /** Why the manifest cannot be taken whatever it says (no such team, no default team). */
  refusal?: ManifestProblem;
  /** The prefixes the manifest may use: the team's, inside the deployment's. */
  allowedReadPrefixes: readonly string[];
  allowedWritePrefixes: readonly string[];
  /** Whose prefixes those are, for problem messages. */
  prefixOwner?: string;
}

/** Reads the teams and resolves the one of a manifest uploaded at `key`. */
export async function manifestTeam(
  teams: TeamRepository,
  key: string,
  scope: DeploymentScope,
): Promise<ManifestTeam> {
  const known = new Map((await teams.list()).map((team) => [team.name, team]));
  const resolved = resolveTeam(key, known, scope);
  if (!resolved.ok) {
    return {
      refusal: { path: '$', code: resolved.code, message: resolved.message },
      allowedReadPrefixes: scope.readPrefixes,
      allowedWritePrefixes: scope.writePrefixes,
    };
  }
  const { team, implicit } = resolved;
  return {
    team,
    allowedReadPrefixes: implicit
      ? scope.readPrefixes
      : effectivePrefixes(team.readPrefixes, scope.readPrefixes),
    allowedWritePrefixes: implicit
      ? scope.writePrefixes
      : effectivePrefixes(team.writePrefixes, scope.writePrefixes),
    ...(!implicit && { prefixOwner: `team ${team.name}` }),
  };
}

/** What a valid manifest may still not do under its team: name another team. */
export function teamProblems(plan: BatchPlan, owner: ManifestTeam): ManifestProblem[] {
  if (owner.refusal) return [owner.refusal];
  if (owner.team && plan.team !== undefined && plan.team !== owner.team.name) {
    return [
      {
        path: plan.format === 'native-v1' ? '$.batch.team' : '$.team',
        code: 'TEAM_MISMATCH',
        message: `the manifest names team "${plan.team}", but it was uploaded as team ${owner.team.name}'s (where it is uploaded decides)`,
      },
    ];
  }
  return [];
}

/** Every run of a team with a run group starts in it (HealthOmics then enforces its limits). */
export function inTeamRunGroup(plan: BatchPlan, team: Team | undefined): BatchPlan {
  const runGroupId = team?.runGroupId;
  if (runGroupId === undefined) return plan;
  return {
    ...plan,
    samples: plan.samples.map((spec) => ({ ...spec, runGroupId })),
    ...(plan.qc && { qc: { ...plan.qc, runGroupId } }),
  };
}
