import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claimStateDir, PROCESS_FILE, StateDirInUseError } from '../../infra/local/process-file.js';
import { commandLineOf, isAlive } from '../../infra/local/process-ownership.js';

const started: ChildProcess[] = [];
const folders: string[] = [];

/** A long-lived process, as DynamoDB Local's JVM is: its argv as /proc shows it. */
async function longLived(): Promise<{ pid: number; argv: string[] }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  started.push(child);
  await new Promise((resolve) => child.once('spawn', resolve));
  const pid = child.pid ?? 0;
  for (let i = 0; i < 50 && commandLineOf(pid)?.[1] !== '-e'; i++)
    await new Promise((r) => setTimeout(r, 20));
  return { pid, argv: commandLineOf(pid) ?? [] };
}

async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gwm-process-file-'));
  folders.push(dir);
  return dir;
}

afterEach(async () => {
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of folders.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('the state folder process file', () => {
  it('stops what a dead stack left running on the folder, and only processes that are still the ones recorded', async () => {
    // Prepare: a dead owner's file naming a live leftover and a pid now running something else
    const stateDir = await folder();
    const leftover = await longLived();
    const other = await longLived();
    await writeFile(
      join(stateDir, PROCESS_FILE),
      JSON.stringify({
        owner: { pid: 2 ** 22 + 1, argv: ['node', 'gwm', 'up'] },
        processes: [
          { what: 'DynamoDB Local', ...leftover },
          { what: 'DynamoDB Local', pid: other.pid, argv: ['java', '-jar', 'DynamoDBLocal.jar'] },
        ],
      }),
    );

    // Act
    const claim = await claimStateDir(stateDir, ['node', 'test']);

    // Assess
    expect(claim.reaped.map((left) => left.pid)).toEqual([leftover.pid]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(isAlive(leftover.pid) && commandLineOf(leftover.pid) !== undefined).toBe(false);
    expect(isAlive(other.pid)).toBe(true);
    const written = JSON.parse(await readFile(join(stateDir, PROCESS_FILE), 'utf8'));
    expect(written).toEqual({ owner: { pid: process.pid, argv: ['node', 'test'] }, processes: [] });
    await claim.release();
  });

  it('refuses the folder while the stack that holds it is alive, and records what a stack starts', async () => {
    // Prepare: a live process holds the folder
    const stateDir = await folder();
    const owner = await longLived();
    await writeFile(join(stateDir, PROCESS_FILE), JSON.stringify({ owner, processes: [] }));

    // Act
    const refused = await claimStateDir(stateDir, ['node', 'test']).catch((error: unknown) => error);
    await writeFile(
      join(stateDir, PROCESS_FILE),
      JSON.stringify({ owner: { pid: owner.pid, argv: ['x'] }, processes: [] }),
    );
    const claim = await claimStateDir(stateDir, ['node', 'test']);
    await claim.record({ what: 'DynamoDB Local', pid: 1234, argv: ['java'] });
    const recorded = JSON.parse(await readFile(join(stateDir, PROCESS_FILE), 'utf8'));
    await claim.release();

    // Assess
    expect(refused).toBeInstanceOf(StateDirInUseError);
    expect(refused).toMatchObject({ code: 'STATE_DIR_IN_USE' });
    expect(recorded.processes).toEqual([{ what: 'DynamoDB Local', pid: 1234, argv: ['java'] }]);
    await expect(readFile(join(stateDir, PROCESS_FILE), 'utf8')).rejects.toThrow(/ENOENT/);
  });
});
