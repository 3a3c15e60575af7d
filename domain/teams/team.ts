import { parseS3Uri } from '../s3-uri.js';

/**
 * A team: the labs sharing one HealthOmics account, each kept to its own data, its own limits and
 * its own share of the launch rate. A team is an item (`gwm teams add`, or edited in the console).
 * Its manifests are the ones uploaded under `teams/<name>/` in the manifest bucket.
 */
export interface Team {
  name: string;
  description?: string;
  /** s3:// prefixes its manifests may read inputs from; each inside one the deployment may read. */
  readPrefixes: string[];
  /** s3:// prefixes its runs may write outputs to; each inside one the deployment may write. */
  writePrefixes: string[];
  /** Its share of the StartRun rate against other teams with launches waiting (default 1). */
  weight: number;
  /** Runs it may have between SUBMITTING and a terminal status; absent: no limit. */
  maxInFlight?: number;
  /** HealthOmics run group every run of the team starts in (HealthOmics enforces its limits too). */
  runGroupId?: string;
  updatedAt?: string;
}

/** A batch's place in its team's queue (manifest `priority`); a person may edit it on the batch item. */
export const BATCH_PRIORITIES = ['urgent', 'normal', 'low'] as const;
export type BatchPriority = (typeof BATCH_PRIORITIES)[number];
export const DEFAULT_BATCH_PRIORITY: BatchPriority = 'normal';

/** A priority as a person may type it in the console: any case and spacing; anything else is normal. */
export function batchPriorityOf(text: string | undefined): BatchPriority {
  const typed = text?.trim().toLowerCase();
  return (BATCH_PRIORITIES as readonly string[]).includes(typed ?? '')
    ? (typed as BatchPriority)
    : DEFAULT_BATCH_PRIORITY;
}

/** Where team manifests are uploaded: `teams/<name>/...` in the manifest bucket. */
export const TEAM_MANIFEST_ROOT = 'teams/';

/** Lower case letters, digits and dashes: the name is a key prefix, an index key and an SNS attribute. */
export const TEAM_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export const DEFAULT_TEAM_WEIGHT = 1;

export function manifestPrefixOf(teamName: string): string {
  return `${TEAM_MANIFEST_ROOT}${teamName}/`;
}

/** The team a manifest key names (`teams/<name>/...`), or undefined for a key outside `teams/`. */
export function teamNameOfKey(key: string): string | undefined {
  if (!key.startsWith(TEAM_MANIFEST_ROOT)) return undefined;
  const rest = key.slice(TEAM_MANIFEST_ROOT.length);
  const slash = rest.indexOf('/');
  return slash <= 0 ? undefined : rest.slice(0, slash);
}

/** What the deployment allows; a team is kept inside it. */
export interface DeploymentScope {
  readPrefixes: readonly string[];
  writePrefixes: readonly string[];
  /**
   * The team of a manifest uploaded outside `teams/`; absent: such a manifest is rejected.
   * Without an item of its own, the default team has the deployment's prefixes, weight 1 and no limit.
   */
  defaultTeam?: string;
}

export type TeamResolution =
  | { ok: true; team: Team; implicit: boolean }
  | { ok: false; code: 'TEAM_UNKNOWN' | 'TEAM_REQUIRED'; message: string };

/** The team a manifest belongs to, from where it was uploaded. */
export function resolveTeam(
  key: string,
  teams: ReadonlyMap<string, Team>,
  scope: DeploymentScope,
): TeamResolution {
  const named = teamNameOfKey(key);
  if (named !== undefined) {
    const team = teams.get(named);
    if (team) return { ok: true, team, implicit: false };
    return {
      ok: false,
      code: 'TEAM_UNKNOWN',
      message: `the manifest was uploaded under ${manifestPrefixOf(named)}, but no team is named "${named}" (gwm teams list shows them; gwm teams add creates one)`,
    };
  }
  if (scope.defaultTeam === undefined) {
    return {
      ok: false,
      code: 'TEAM_REQUIRED',
      message: `this deployment takes manifests only under ${TEAM_MANIFEST_ROOT}<team>/; ${key} is outside every team's prefix`,
    };
  }
  const team = teams.get(scope.defaultTeam);
  if (team) return { ok: true, team, implicit: false };
  return { ok: true, team: implicitTeam(scope.defaultTeam, scope), implicit: true };
}

/** The default team when it has no item: the deployment's prefixes, weight 1, no limit. */
export function implicitTeam(name: string, scope: DeploymentScope): Team {
  return {
    name,
    readPrefixes: [...scope.readPrefixes],
    writePrefixes: [...scope.writePrefixes],
    weight: DEFAULT_TEAM_WEIGHT,
  };
}

/**
 * The prefixes a team's manifest may use: where the team's and the deployment's overlap (a team
 * prefix outside every deployment prefix allows nothing; one wider than a deployment prefix allows
 * only that deployment prefix).
 */
export function effectivePrefixes(team: readonly string[], deployment: readonly string[]): string[] {
  const kept = new Set<string>();
  for (const own of team) {
    const ownFolder = folderOf(own);
    if (ownFolder === undefined) continue;
    for (const allowed of deployment) {
      const allowedFolder = folderOf(allowed);
      if (allowedFolder === undefined || allowedFolder.bucket !== ownFolder.bucket) continue;
      if (ownFolder.key.startsWith(allowedFolder.key)) kept.add(own);
      else if (allowedFolder.key.startsWith(ownFolder.key)) kept.add(allowed);
    }
  }
  return [...kept];
}

/** A prefix as the matcher reads it: a bucket and a folder (`p` and `p/` are both the folder `p/`). */
function folderOf(prefix: string): { bucket: string; key: string } | undefined {
  const location = parseS3Uri(prefix);
  if (location === undefined) return undefined;
  const key = location.key === '' || location.key.endsWith('/') ? location.key : `${location.key}/`;
  return { bucket: location.bucket, key };
}

/** Team prefixes that fall outside every prefix the deployment allows (they allow nothing). */
export function prefixesOutside(team: readonly string[], deployment: readonly string[]): string[] {
  return team.filter((own) => effectivePrefixes([own], deployment).length === 0);
}
