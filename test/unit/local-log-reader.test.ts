import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeLocalLogReader } from '../../infra/local/engine/index.js';

describe('local run log reader', () => {
  let runsDir: string;

  beforeAll(async () => {
    runsDir = await mkdtemp(join(tmpdir(), 'gwm-log-reader-'));
    await mkdir(join(runsDir, '1000001'));
    const lines = Array.from({ length: 30 }, (_, index) => `line ${index + 1}`);
    await writeFile(join(runsDir, '1000001', 'run.log'), `${lines.join('\n')}\n`);
    await mkdir(join(runsDir, '1000002'));
    // A log far larger than what is read: only its end is looked at
    await writeFile(join(runsDir, '1000002', 'run.log'), `${'x'.repeat(600_000)}\nsecond to last\nlast\n`);
  });

  afterAll(async () => {
    await rm(runsDir, { recursive: true, force: true });
  });

  it('returns the last lines of a run log and where it is', async () => {
    const tail = await makeLocalLogReader(runsDir).tail('1000001', 3);
    expect(tail).toEqual({
      location: join(runsDir, '1000001', 'run.log'),
      lines: ['line 28', 'line 29', 'line 30'],
    });
  });

  it('reads only the end of a long log', async () => {
    const tail = await makeLocalLogReader(runsDir).tail('1000002', 5);
    expect(tail?.lines).toEqual(['second to last', 'last']);
  });

  it('answers a run without a log with its location and no lines, and refuses ids that are not run ids', async () => {
    const reader = makeLocalLogReader(runsDir);
    expect(await reader.tail('1000009', 5)).toEqual({
      location: join(runsDir, '1000009', 'run.log'),
      lines: [],
    });
    expect(await reader.tail('../1000001', 5)).toBeUndefined();
  });
});
