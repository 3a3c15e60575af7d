import { mkdtempSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUN_STATUS_RULE } from '../../functions/event-sources.js';
import { InvalidEventPatternError } from '../../infra/local/events/event-pattern.js';
import {
  createEventRouter,
  DEFAULT_ROUTER_CONCURRENCY,
  defaultRetryDelayMs,
  type EventRouter,
  type EventRouterOptions,
  type RouterRule,
} from '../../infra/local/events/event-router.js';
import { gate } from '../support/gate.js';

const workDir = mkdtempSync(join(tmpdir(), 'gwm-router-'));
afterAll(() => rm(workDir, { recursive: true, force: true }));
let files = 0;
const deadLetterPath = () => join(workDir, `dead-letters-${++files}.jsonl`);

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));
}

async function deadLetters(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A router with one rule, `run-status` on the shared HealthOmics pattern, to `target`. */
function runStatusRouter(
  options: Pick<RouterRule, 'retryAttempts' | 'target'> & Omit<EventRouterOptions, 'rules'>,
): EventRouter {
  const { retryAttempts, target, ...rest } = options;
  return createEventRouter({
    rules: [{ name: 'run-status', pattern: RUN_STATUS_RULE.eventPattern, retryAttempts, target }],
    ...rest,
  });
}
function recordingRule(name: string, pattern: object, retryAttempts = 0): RouterRule & { seen: unknown[] } {
  const seen: unknown[] = [];
  return {
    name,
    pattern,
    retryAttempts,
    seen,
    async target(event) {
      seen.push(event);
    },
  };
}

describe('event router', () => {
  it('routes the HealthOmics run status events to the run status rule and ignores task events', async () => {
    // Prepare
    const rule = recordingRule('run-status', RUN_STATUS_RULE.eventPattern, RUN_STATUS_RULE.retryAttempts);
    const router = createEventRouter({ rules: [rule], deadLetterFile: deadLetterPath() });
    const completed = fixture('omics-run-status-completed.json');
    const legacy = fixture('omics-run-status-failed-legacy.json');
    const task = fixture('omics-task-status-running.json');

    // Act
    router.put(completed);
    router.put(task);
    router.put(legacy);
    await router.settle();

    // Assess
    expect(rule.seen).toHaveLength(2);
    expect(rule.seen).toEqual(expect.arrayContaining([completed, legacy]));
    expect(router.stats()).toEqual({ received: 3, matched: { 'run-status': 2 }, deadLettered: 0 });
  });

  it('returns from put before any target is called', async () => {
    // Prepare
    const rule = recordingRule('run-status', RUN_STATUS_RULE.eventPattern);
    const router = createEventRouter({ rules: [rule], deadLetterFile: deadLetterPath() });

    // Act
    router.put(fixture('omics-run-status-completed.json'));
    const seenRightAfterPut = rule.seen.length;
    await router.settle();

    // Assess
    expect(seenRightAfterPut).toBe(0);
    expect(rule.seen).toHaveLength(1);
  });

  it('retries a failing target retryAttempts times with backoff, then writes the event to the dead-letter file', async () => {
    // Prepare
    const file = deadLetterPath();
    const delays: number[] = [];
    let calls = 0;
    const router = runStatusRouter({
      retryAttempts: 2,
      async target() {
        calls += 1;
        throw Object.assign(new Error('table is gone'), { name: 'ResourceNotFoundException' });
      },
      deadLetterFile: file,
      retryDelayMs: (attempt) => {
        delays.push(attempt);
        return 5;
      },
    });
    const event = fixture('omics-run-status-completed.json');

    // Act
    router.put(event);
    await router.settle();

    // Assess
    expect(calls).toBe(3);
    expect(delays).toEqual([1, 2]);
    const lines = await deadLetters(file);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      rule: 'run-status',
      attempts: 3,
      error: { name: 'ResourceNotFoundException', message: 'table is gone' },
      event,
    });
    expect(Date.parse(String(lines[0]?.deadLetteredAt))).not.toBeNaN();
    expect(router.stats().deadLettered).toBe(1);
  });

  it('delivers an event whose target succeeds on a retry, and dead-letters nothing', async () => {
    // Prepare
    const file = deadLetterPath();
    let calls = 0;
    const router = runStatusRouter({
      retryAttempts: 8,
      async target() {
        calls += 1;
        if (calls < 3) throw new Error('throttled');
      },
      deadLetterFile: file,
      retryDelayMs: () => 1,
    });

    // Act
    router.put(fixture('omics-run-status-completed.json'));
    await router.settle();

    // Assess
    expect(calls).toBe(3);
    expect(await deadLetters(file)).toEqual([]);
    expect(router.stats().deadLettered).toBe(0);
  });

  it('backs off 50 ms doubling, never more than 2 s, by default', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(defaultRetryDelayMs)).toEqual([
      50, 100, 200, 400, 800, 1600, 2000, 2000,
    ]);
  });

  it('keeps at most 16 target calls in flight and delivers the rest as slots free up', async () => {
    // Prepare
    const release = gate();
    let inFlight = 0;
    let mostInFlight = 0;
    let delivered = 0;
    const router = runStatusRouter({
      retryAttempts: 0,
      async target() {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await release.opened;
        inFlight -= 1;
        delivered += 1;
      },
      deadLetterFile: deadLetterPath(),
    });
    const event = fixture('omics-run-status-completed.json');

    // Act
    for (let index = 0; index < 40; index += 1) router.put(event);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const inFlightWhileBlocked = inFlight;
    release.open();
    await router.settle();

    // Assess
    expect(DEFAULT_ROUTER_CONCURRENCY).toBe(16);
    expect(inFlightWhileBlocked).toBe(16);
    expect(mostInFlight).toBe(16);
    expect(delivered).toBe(40);
  });

  it('gives the slot back while a failing delivery waits for its retry', async () => {
    // Prepare: one slot; the first event fails once and waits 100 ms before its retry
    const order: string[] = [];
    let failedOnce = false;
    const router = runStatusRouter({
      retryAttempts: 1,
      async target(event) {
        const id = (event as { id: string }).id;
        if (id === 'first' && !failedOnce) {
          failedOnce = true;
          throw new Error('not yet');
        }
        order.push(id);
      },
      deadLetterFile: deadLetterPath(),
      maxConcurrency: 1,
      retryDelayMs: () => 100,
    });
    const event = fixture('omics-run-status-completed.json') as Record<string, unknown>;

    // Act
    router.put({ ...event, id: 'first' });
    router.put({ ...event, id: 'second' });
    await router.settle();

    // Assess
    expect(order).toEqual(['second', 'first']);
  });

  it('delivers to every matching rule, and one failing rule does not hold back another', async () => {
    // Prepare
    const file = deadLetterPath();
    const tracker = recordingRule('run-status-to-tracker', RUN_STATUS_RULE.eventPattern);
    const audit: RouterRule = {
      name: 'audit',
      pattern: { source: ['aws.omics'] },
      retryAttempts: 0,
      async target() {
        throw new Error('audit is down');
      },
    };
    const router = createEventRouter({ rules: [audit, tracker], deadLetterFile: file });
    const event = fixture('omics-run-status-completed.json');

    // Act
    router.put(event);
    await router.settle();

    // Assess
    expect(tracker.seen).toEqual([event]);
    expect(await deadLetters(file)).toEqual([expect.objectContaining({ rule: 'audit', attempts: 1, event })]);
    expect(router.stats()).toEqual({
      received: 1,
      matched: { audit: 1, 'run-status-to-tracker': 1 },
      deadLettered: 1,
    });
  });

  it('gives each target its own copy of the event', async () => {
    // Prepare
    const received: unknown[] = [];
    const mutating: RouterRule = {
      name: 'mutating',
      pattern: RUN_STATUS_RULE.eventPattern,
      retryAttempts: 0,
      async target(event) {
        (event as { detail: { status: string } }).detail.status = 'CHANGED';
      },
    };
    const reading: RouterRule = {
      name: 'reading',
      pattern: RUN_STATUS_RULE.eventPattern,
      retryAttempts: 0,
      async target(event) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        received.push(event);
      },
    };
    const router = createEventRouter({ rules: [mutating, reading], deadLetterFile: deadLetterPath() });
    const event = fixture('omics-run-status-completed.json') as { detail: { status: string } };

    // Act
    router.put(event);
    await router.settle();

    // Assess
    expect(event.detail.status).toBe('COMPLETED');
    expect(received).toEqual([
      expect.objectContaining({ detail: expect.objectContaining({ status: 'COMPLETED' }) }),
    ]);
  });

  it('settles at once when nothing is in flight', async () => {
    const router = createEventRouter({ rules: [], deadLetterFile: deadLetterPath() });
    await expect(router.settle()).resolves.toBeUndefined();
  });

  it('settles only when the events that targets put in turn are delivered too', async () => {
    // Prepare
    const seen: number[] = [];
    const router = createEventRouter({
      rules: [
        {
          name: 'chain',
          pattern: { source: ['test'] },
          retryAttempts: 0,
          async target(event) {
            const step = (event as { detail: { step: number } }).detail.step;
            seen.push(step);
            await new Promise((resolve) => setTimeout(resolve, 5));
            if (step < 3) router.put({ source: 'test', detail: { step: step + 1 } });
          },
        },
      ],
      deadLetterFile: deadLetterPath(),
    });

    // Act
    router.put({ source: 'test', detail: { step: 1 } });
    await router.settle();

    // Assess
    expect(seen).toEqual([1, 2, 3]);
  });

  it('stops after the deliveries in flight, and dead-letters what is put afterwards', async () => {
    // Prepare
    const file = deadLetterPath();
    let finished = 0;
    const router = runStatusRouter({
      retryAttempts: 0,
      async target() {
        await new Promise((resolve) => setTimeout(resolve, 20));
        finished += 1;
      },
      deadLetterFile: file,
    });
    const event = fixture('omics-run-status-completed.json');
    router.put(event);

    // Act
    await router.stop();
    const finishedAtStop = finished;
    router.put(event);
    await router.settle();

    // Assess
    expect(finishedAtStop).toBe(1);
    expect(finished).toBe(1);
    expect(await deadLetters(file)).toEqual([
      expect.objectContaining({
        rule: 'run-status',
        attempts: 0,
        error: expect.objectContaining({ message: 'the event router was stopped' }),
      }),
    ]);
  });

  it('refuses a pattern EventBridge would refuse when the router is created', () => {
    expect(() =>
      createEventRouter({
        rules: [{ name: 'bad', pattern: { source: 'aws.omics' }, retryAttempts: 0, target: async () => {} }],
        deadLetterFile: deadLetterPath(),
      }),
    ).toThrow(InvalidEventPatternError);
  });
});
