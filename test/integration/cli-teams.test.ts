import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runGwm, writeLocalEndpoints } from '../support/cli-runner.js';
import { makeTestTable, type TestTable } from '../support/local-aws.js';

let tmp: string;
let stateDir: string;
let table: TestTable;

/** `gwm <args>` in this process, against the local stack described in the test's state folder. */
const gwm = (args: string[]) => runGwm(stateDir, args);

/** Writes `content` as JSON to `name` in the test's folder, for a command to read, and gives its path. */
async function writeJson(name: string, content: unknown): Promise<string> {
  const file = join(tmp, name);
  await writeFile(file, JSON.stringify(content));
  return file;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'gwm-cli-teams-'));
  stateDir = join(tmp, 'state');
  await mkdir(join(stateDir, 'runs'), { recursive: true });
  const dynamodbEndpoint = inject('dynamodbEndpoint');
  table = await makeTestTable(dynamodbEndpoint, 'gwm-cli-teams');
  await writeLocalEndpoints(stateDir, { dynamodbEndpoint, tableName: table.tableName });
});

afterAll(async () => {
  await table?.drop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('gwm teams', () => {
  it('adds, lists, shows, replaces and removes a team', async () => {
    const team = {
      name: 'lab-a',
      description: 'Sequencing core',
      readPrefixes: ['s3://gwm-lab-inputs/lab-a/'],
      writePrefixes: ['s3://gwm-lab-results/lab-a/'],
      weight: 2,
      maxInFlight: 50,
      runGroupId: '1234567',
    };
    const file = await writeJson('lab-a.json', team);

    const added = await gwm(['teams', 'add', file]);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('Added team lab-a (weight 2, 50 in flight)');
    expect(added.stdout).toContain('Its manifests go under s3://gwm-manifests/teams/lab-a/');

    const listed = await gwm(['teams', 'list']);
    expect(listed.stdout).toMatch(/lab-a\s+│\s+teams\/lab-a\/\s+│\s+2\s+│\s+50 in flight\s+│\s+1234567/);
    const shown = await gwm(['teams', 'show', 'lab-a']);
    expect(JSON.parse(shown.stdout)).toMatchObject(team);

    await writeJson('lab-a.json', { ...team, weight: 3, maxInFlight: undefined });
    const replaced = await gwm(['teams', 'add', file]);
    expect(replaced.stdout).toContain('Replaced team lab-a (weight 3, no limit)');

    const removed = await gwm(['teams', 'remove', 'lab-a']);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('Manifests uploaded under teams/lab-a/ are rejected from now on');
    expect(JSON.parse((await gwm(['teams', 'list', '--json'])).stdout)).toEqual([]);
    const missing = await gwm(['teams', 'remove', 'lab-a']);
    expect(missing.code).toBe(3);
  });

  it('refuses a team outside the deployment’s prefixes, with each problem at its path, and saves nothing', async () => {
    const file = await writeJson('bad.json', {
      name: 'lab-b',
      readPrefixes: ['s3://someone-elses-bucket/'],
      writePrefixes: ['s3://gwm-lab-results/b/'],
    });
    const result = await gwm(['teams', 'add', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file} is not a valid team (1 problem(s)):`);
    expect(result.stderr).toContain('$.readPrefixes[0]');
    expect(result.stderr).toContain(
      's3://someone-elses-bucket/ is outside every prefix this deployment allows',
    );
    expect(result.stderr).toContain('Nothing was saved.');
    expect((await gwm(['teams', 'show', 'lab-b'])).code).toBe(3);
  });

  it('submit --team checks the manifest against the team, as the intake will, before uploading', async () => {
    const teamFile = await writeJson('lab-c.json', {
      name: 'lab-c',
      readPrefixes: ['s3://gwm-lab-inputs/lab-c/'],
      writePrefixes: ['s3://gwm-lab-results/lab-c/'],
    });
    expect((await gwm(['teams', 'add', teamFile])).code).toBe(0);
    const document = (folder: string) => ({
      schemaVersion: 'gwm.manifest/v1',
      defaults: {
        workflow: { id: '1234567', type: 'PRIVATE' },
        outputUri: `s3://gwm-lab-results/${folder}/`,
      },
      samples: [{ id: 'S1', inputs: { fastq1: `s3://gwm-lab-inputs/${folder}/S1.fastq.gz` } }],
    });

    const manifest = await writeJson('run-7.json', document('lab-d'));
    const outside = await gwm(['submit', manifest, '--team', 'lab-c', '--dry-run']);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain(
      'is not under a prefix team lab-c may read (s3://gwm-lab-inputs/lab-c/)',
    );

    const unknown = await gwm(['submit', manifest, '--team', 'lab-z', '--dry-run']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no team is named "lab-z"');

    const wrongKey = await gwm([
      'submit',
      manifest,
      '--team',
      'lab-c',
      '--key',
      'manifests/run-7.json',
      '--dry-run',
    ]);
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.stderr).toContain('is not under teams/lab-c/');

    await writeJson('run-7.json', document('lab-c'));
    const fine = await gwm(['submit', manifest, '--team', 'lab-c', '--dry-run', '--json']);
    expect(fine.code).toBe(0);
    expect(JSON.parse(fine.stdout)).toMatchObject({ key: 'teams/lab-c/run-7.json' });
  });
});
