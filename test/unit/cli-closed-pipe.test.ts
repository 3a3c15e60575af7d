import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const GUARD = fileURLToPath(new URL('../../cli/closed-pipe.ts', import.meta.url));

/** Runs a script that writes 4 MB to stdout in small pieces, and closes the pipe after the first. */
function writeIntoClosedPipe(guarded: boolean): Promise<{ code: number | null; stderr: string }> {
  const script = `
    ${guarded ? `const { dropOutputOnClosedPipe } = await import(${JSON.stringify(GUARD)}); dropOutputOnClosedPipe();` : ''}
    const line = 'x'.repeat(1023) + '\\n';
    for (let i = 0; i < 4096; i++) {
      process.stdout.write(line);
      if (i % 64 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    process.exitCode = 3;
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    // As `head -1` does: read the first chunk, then close.
    child.stdout.once('data', () => child.stdout.destroy());
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('output into a pipe the reader closed (gwm history | head)', () => {
  it('is dropped: the command ends with its own exit code and no stack trace', async () => {
    // Act
    const guarded = await writeIntoClosedPipe(true);
    const bare = await writeIntoClosedPipe(false);
    // Assess: without the guard Node crashes on EPIPE, with it the script ends as it meant to
    expect(bare.stderr).toContain('EPIPE');
    expect(bare.code).not.toBe(3);
    expect(guarded).toEqual({ code: 3, stderr: '' });
  });
});
