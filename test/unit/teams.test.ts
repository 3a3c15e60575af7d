import { describe, expect, it } from 'vitest';
import {
  batchPriorityOf,
  effectivePrefixes,
  resolveTeam,
  type Team,
  teamNameOfKey,
} from '../../domain/teams/team.js';
import { parseTeam } from '../../domain/teams/team-schema.js';

const deployment = {
  readPrefixes: ['s3://lab-inputs/', 's3://shared-refs/genomes/'],
  writePrefixes: ['s3://lab-results/'],
};
const labA: Team = {
  name: 'lab-a',
  readPrefixes: ['s3://lab-inputs/lab-a/'],
  writePrefixes: ['s3://lab-results/lab-a/'],
  weight: 1,
};

describe('teams', () => {
  it('tells a manifest’s team from where it was uploaded', () => {
    expect(teamNameOfKey('teams/lab-a/run-42.json')).toBe('lab-a');
    expect(teamNameOfKey('teams/lab-a/flowcells/run-42.json')).toBe('lab-a');
    expect(teamNameOfKey('manifests/run-42.json')).toBeUndefined();
    expect(teamNameOfKey('teams/run-42.json')).toBeUndefined();
    expect(teamNameOfKey('teams//x.json')).toBeUndefined();
  });

  it('resolves the team of the key, the default team outside teams/, and refuses the rest', () => {
    const teams = new Map([[labA.name, labA]]);
    const withDefault = { ...deployment, defaultTeam: 'default' };
    expect(resolveTeam('teams/lab-a/x.json', teams, withDefault)).toMatchObject({
      ok: true,
      team: labA,
      implicit: false,
    });
    // Outside teams/: the default team, with the deployment's prefixes when it has no item
    expect(resolveTeam('manifests/x.json', teams, withDefault)).toMatchObject({
      ok: true,
      implicit: true,
      team: { name: 'default', readPrefixes: deployment.readPrefixes, weight: 1 },
    });
    const unknown = resolveTeam('teams/lab-z/x.json', teams, withDefault);
    expect(unknown).toMatchObject({ ok: false, code: 'TEAM_UNKNOWN' });
    expect(unknown.ok ? '' : unknown.message).toContain('no team is named "lab-z"');
    expect(resolveTeam('manifests/x.json', teams, deployment)).toMatchObject({
      ok: false,
      code: 'TEAM_REQUIRED',
    });
  });

  it('keeps a team inside the deployment’s prefixes', () => {
    // Narrower than the deployment's: kept; wider: narrowed to the deployment's; elsewhere: nothing
    expect(effectivePrefixes(['s3://lab-inputs/lab-a/'], deployment.readPrefixes)).toEqual([
      's3://lab-inputs/lab-a/',
    ]);
    expect(effectivePrefixes(['s3://shared-refs/'], deployment.readPrefixes)).toEqual([
      's3://shared-refs/genomes/',
    ]);
    expect(effectivePrefixes(['s3://other-bucket/'], deployment.readPrefixes)).toEqual([]);
    // A folder is a folder: lab-a does not allow lab-ab
    expect(effectivePrefixes(['s3://lab-inputs/lab-a'], ['s3://lab-inputs/lab-ab/'])).toEqual([]);
  });

  it('checks a team document, with its prefixes inside the deployment’s', () => {
    const parsed = parseTeam(
      JSON.stringify({
        name: 'lab-a',
        readPrefixes: ['s3://lab-inputs/lab-a/'],
        writePrefixes: ['s3://lab-results/a/'],
      }),
      deployment,
    );
    expect(parsed).toEqual({
      ok: true,
      team: {
        name: 'lab-a',
        readPrefixes: ['s3://lab-inputs/lab-a/'],
        writePrefixes: ['s3://lab-results/a/'],
        weight: 1,
      },
    });
    const outside = parseTeam(
      { name: 'lab-a', readPrefixes: ['s3://elsewhere/'], writePrefixes: ['s3://lab-results/a/'] },
      deployment,
    );
    expect(outside.ok ? [] : outside.problems).toEqual([
      expect.objectContaining({ path: '$.readPrefixes[0]', code: 'READ_PREFIX_NOT_ALLOWED' }),
    ]);
    const bad = parseTeam({
      name: 'Lab A',
      readPrefixes: [],
      writePrefixes: ['nope'],
      weight: 0,
      maxInFlght: 3,
    });
    const paths = bad.ok ? [] : bad.problems.map((problem) => problem.path).sort();
    expect(paths).toEqual(['$.maxInFlght', '$.name', '$.readPrefixes', '$.weight', '$.writePrefixes[0]']);
    expect(parseTeam('{not json')).toMatchObject({ ok: false, problems: [{ code: 'NOT_JSON' }] });
  });

  it('reads a priority as a person types it in the console', () => {
    expect(batchPriorityOf(' URGENT ')).toBe('urgent');
    expect(batchPriorityOf('low')).toBe('low');
    expect(batchPriorityOf('asap')).toBe('normal');
    expect(batchPriorityOf(undefined)).toBe('normal');
  });
});
