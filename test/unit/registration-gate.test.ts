import { describe, expect, it } from 'vitest';
import type { Batch } from '../../domain/batch.js';
import { RetryableError } from '../../domain/errors.js';
import { makeRegistrationGate } from '../../domain/use-cases/registration-gate.js';

/** A batch store whose one batch the test moves on; counts the reads. */
function store(status: Batch['status'] | undefined) {
  const state = { status, reads: 0 };
  const batches = {
    async get(batchId: string) {
      state.reads++;
      return state.status === undefined
        ? undefined
        : ({ batchId, status: state.status, registrationExpiresAt: '2026-12-05T10:01:00.000Z' } as Batch);
    },
  };
  return { state, batches };
}

/** A clock that moves only when the gate sleeps, and a hook to change the batch while it waits. */
function clock(onSleep: (sleeps: number) => void = () => {}, start = '2026-12-05T10:00:00.000Z') {
  let nowMs = Date.parse(start);
  let sleeps = 0;
  return {
    now: () => new Date(nowMs),
    sleep: async (ms: number) => {
      nowMs += ms;
      onSleep(++sleeps);
    },
  };
}

describe('the registration gate', () => {
  it('holds a launch until its batch leaves REGISTERING, then lets it and every later one through', async () => {
    // Prepare: the batch flips after the gate has looked three times
    const { state, batches } = store('REGISTERING');
    const time = clock((sleeps) => {
      if (sleeps === 3) state.status = 'ACTIVE';
    });
    const gate = makeRegistrationGate({ batches, ...time, waitMs: 60_000, pollMs: 250 });
    // Act
    const answer = await gate.awaitRegistered('b1');
    const readsAtFlip = state.reads;
    await gate.awaitRegistered('b1');
    // Assess: four looks (three REGISTERING, one ACTIVE), 750 ms waited, none after
    expect(answer).toBe('registered');
    expect(readsAtFlip).toBe(4);
    expect(time.now().toISOString()).toBe('2026-12-05T10:00:00.750Z');
    expect(state.reads).toBe(4);
    expect(await gate.isRegistered('b1')).toBe(true);
    expect(state.reads).toBe(4);
  });

  it('shares one look among the launches of a batch that ask at the same time', async () => {
    // Prepare
    const { state, batches } = store('REGISTERING');
    const time = clock((sleeps) => {
      if (sleeps === 2) state.status = 'REGISTERED';
    });
    const gate = makeRegistrationGate({ batches, ...time, waitMs: 60_000, pollMs: 100 });
    // Act
    await Promise.all(Array.from({ length: 10 }, () => gate.awaitRegistered('b1')));
    // Assess: a REGISTERED batch has every launch written; one look sequence for the ten
    expect(state.reads).toBe(3);
  });

  it('hands a launch back (RetryableError) when the registration outlasts the wait, and looks again next time', async () => {
    // Prepare
    const { state, batches } = store('REGISTERING');
    const time = clock();
    const gate = makeRegistrationGate({ batches, ...time, waitMs: 1_000, pollMs: 400 });
    // Act
    const held = await gate.awaitRegistered('b1').catch((error: unknown) => error);
    // Assess
    expect(held).toBeInstanceOf(RetryableError);
    expect(held).toMatchObject({
      code: 'BATCH_NOT_REGISTERED',
      message: expect.stringMatching(
        /b1 is still being registered after 1 s \(lease until 2026-12-05T10:01:00.000Z\)/,
      ),
    });
    // 0, 400, 800 ms, then 1,000 ms: four looks, never longer than the wait
    expect(state.reads).toBe(4);
    expect(time.now().toISOString()).toBe('2026-12-05T10:00:01.000Z');
    expect(await gate.isRegistered('b1')).toBe(false);
    state.status = 'ACTIVE';
    await gate.awaitRegistered('b1');
    expect(state.reads).toBe(6);
  });

  it('gives up at once on a registration whose lease ran out (its resume tells the launcher again)', async () => {
    // Prepare: the lease ran out at 10:01:00; clocks may be a few seconds apart
    const { state, batches } = store('REGISTERING');
    const within = makeRegistrationGate({
      batches,
      ...clock(() => {
        state.status = 'ACTIVE';
      }, '2026-12-05T10:01:04.000Z'),
      waitMs: 10_000,
      pollMs: 100,
    });
    const after = makeRegistrationGate({
      batches,
      ...clock(() => {}, '2026-12-05T10:01:06.000Z'),
      waitMs: 10_000,
      pollMs: 100,
    });
    // Act, Assess: within the grace it still waits (and sees the flip); after it, it stops at once
    expect(await within.awaitRegistered('b1')).toBe('registered');
    state.status = 'REGISTERING';
    state.reads = 0;
    expect(await after.awaitRegistered('b1')).toBe('stopped');
    expect(state.reads).toBe(1);
    expect(await after.isRegistered('b1')).toBe(false);
  });

  it('does not hold a launch whose batch item is missing, nor remember it', async () => {
    // Prepare
    const { state, batches } = store(undefined);
    const gate = makeRegistrationGate({ batches, ...clock(), waitMs: 1_000, pollMs: 100 });
    // Act
    await gate.awaitRegistered('b1');
    await gate.awaitRegistered('b1');
    // Assess: let through, read each time (a batch created later is still looked at)
    expect(state.reads).toBe(2);
  });
});
