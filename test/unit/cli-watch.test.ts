import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { watchBatch } from '../../cli/commands/status.js';
import type { CliContext } from '../../cli/context.js';
import type { CliIo } from '../../cli/io.js';
import type { Target } from '../../cli/target.js';
import { type Batch, NO_COUNTS } from '../../domain/batch.js';
import type { Launch } from '../../domain/launch.js';
import { aBatch, aLaunch } from '../support/launch-factory.js';

const batchOf = (overrides: Partial<Batch>): Batch =>
  aBatch({
    name: 'FC-TTY',
    sourceUri: 's3://gwm-manifests/manifests/FC-TTY.json',
    counts: NO_COUNTS,
    ...overrides,
  });

/** A batch that moves one step per poll, read through the same two calls the CLI makes. */
function scriptedTarget(steps: { batch: Batch; launches: Launch[] }[]): Target {
  let poll = -1;
  const step = () => steps[Math.min(poll, steps.length - 1)] ?? { batch: undefined, launches: [] };
  return {
    description: 'a scripted batch',
    batches: {
      get: async () => {
        poll++;
        return step().batch;
      },
    },
    launches: { listByBatch: async () => ({ items: step().launches }) },
  } as unknown as Target;
}

function terminal() {
  let stdout = '';
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: () => {},
    env: {},
    isTTY: true,
    rows: 40,
    now: () => new Date('2026-11-20T10:00:00.000Z'),
    sleep: async () => {},
  };
  const colors = pc.createColors(false);
  const ctx = {
    io,
    colors,
    out: (line = '') => io.stdout(`${line}\n`),
    err: () => {},
  } as unknown as CliContext;
  return { ctx, output: () => stdout };
}

describe('status --watch on a terminal', () => {
  it('redraws the status in place until the batch finishes, then exits 4 for a failed batch', async () => {
    // Prepare
    const running = aLaunch({ launchId: 'b1/S1', batchId: 'b1', sampleId: 'S1', status: 'RUNNING' });
    const failed = { ...running, status: 'FAILED' as const, failureReason: 'exit 3' };
    const target = scriptedTarget([
      { batch: batchOf({}), launches: [running] },
      { batch: batchOf({ status: 'FAILED', counts: { ...NO_COUNTS, failed: 1 } }), launches: [failed] },
    ]);
    const { ctx, output } = terminal();

    // Act
    const code = await watchBatch(ctx, target, 'b1', { intervalMs: 2000, json: false });

    // Assess: two frames; the second starts by moving up over the first and clearing it
    expect(code).toBe(4);
    const ESC = String.fromCharCode(27);
    const frames = output().split(new RegExp(`${ESC}\\[(\\d+)A\r${ESC}\\[0J`));
    expect(frames).toHaveLength(3);
    const [first, up, second] = frames;
    expect(Number(up)).toBe((first ?? '').split('\n').length - 1);
    expect(first).toContain('status        ACTIVE');
    expect(first).toContain('watching; every 2 s (Ctrl-C stops)');
    expect(second).toContain('status        FAILED');
    expect(second).toMatch(/S1 .*FAILED .*exit 3/);
    expect(second).not.toContain('watching;');
  });
});
