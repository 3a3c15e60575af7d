import { describe, expect, it } from 'vitest';
import { measureWaiting, type WaitingLaunch, waitingSinceOf } from '../../domain/scheduling/waiting.js';
import { aLaunch, historyOf } from '../support/launch-factory.js';

const now = new Date('2026-11-20T12:00:00.000Z');
const minutesAgo = (minutes: number) => new Date(now.getTime() - minutes * 60_000).toISOString();
const queued = (minutes: number, team?: string): WaitingLaunch => ({
  status: 'QUEUED',
  waitingSince: minutesAgo(minutes),
  ...(team !== undefined && { team }),
});
const settings = { heldTeams: new Set<string>(), startRatePerSecond: 1, marginSeconds: 900, now };

describe('how overdue waiting launches are', () => {
  it('is not overdue while a large batch drains at the StartRun rate', () => {
    // Prepare: 10,000 queued an hour ago at 1/s: 3,600 started, 6,400 left
    const launches = Array.from({ length: 6_400 }, () => queued(60));
    // Act
    const measure = measureWaiting({ ...settings, launches });
    // Assess
    expect(measure.byStatus.QUEUED).toEqual({ count: 6_400, oldestAgeSeconds: 3_600 });
    expect(measure.expectedDrainSeconds).toBe(6_400 + 900);
    expect(measure.overdueSeconds).toBe(0);
  });

  it('is overdue by how long the oldest waited beyond the drain time and the margin when nothing starts', () => {
    // Prepare: 5 launches, the oldest waiting 40 minutes
    const launches = [
      queued(40),
      queued(30),
      queued(20),
      { ...queued(10), status: 'THROTTLED' as const },
      queued(1),
    ];
    // Act
    const measure = measureWaiting({ ...settings, launches });
    // Assess
    expect(measure.byStatus).toEqual({
      QUEUED: { count: 4, oldestAgeSeconds: 2_400 },
      THROTTLED: { count: 1, oldestAgeSeconds: 600 },
    });
    expect(measure.overdueSeconds).toBe(2_400 - (5 + 900));
  });

  it('leaves out the launches of a team held at its maxInFlight, however long they wait', () => {
    // Prepare: lab-a at its limit, waiting for two hours; lab-b's launch waits 5 minutes
    const launches = [queued(120, 'lab-a'), queued(110, 'lab-a'), queued(5, 'lab-b')];
    // Act
    const held = measureWaiting({ ...settings, launches, heldTeams: new Set(['lab-a']) });
    const notHeld = measureWaiting({ ...settings, launches });
    // Assess: still counted as waiting, never as overdue
    expect(held.byStatus.QUEUED).toEqual({ count: 3, oldestAgeSeconds: 7_200 });
    expect(held.startable).toBe(1);
    expect(held.oldestStartableAgeSeconds).toBe(300);
    expect(held.overdueSeconds).toBe(0);
    expect(notHeld.overdueSeconds).toBe(7_200 - (3 + 900));
  });

  it('is zero with nothing waiting', () => {
    // Act
    const measure = measureWaiting({ ...settings, launches: [] });
    // Assess
    expect(measure).toMatchObject({ startable: 0, overdueSeconds: 0, oldestStartableAgeSeconds: 0 });
  });
});

describe('since when a launch waits', () => {
  it('counts from when it was queued, through throttled StartRun calls and re-queues', () => {
    // Prepare
    const launch = aLaunch({
      status: 'THROTTLED',
      updatedAt: '2026-11-20T11:00:00.000Z',
      statusHistory: historyOf(
        ['REGISTERED', '2026-11-20T09:00:00.000Z'],
        ['QUEUED', '2026-11-20T09:30:00.000Z'],
        ['SUBMITTING', '2026-11-20T09:31:00.000Z'],
        ['THROTTLED', '2026-11-20T09:32:00.000Z'],
      ),
    });
    // Act and Assess
    expect(waitingSinceOf(launch)).toBe('2026-11-20T09:30:00.000Z');
  });

  it('counts a retried launch from its retry, not from its first attempt', () => {
    // Prepare
    const launch = aLaunch({
      status: 'THROTTLED',
      statusHistory: historyOf(
        ['QUEUED', '2026-11-19T09:00:00.000Z'],
        ['FAILED', '2026-11-19T10:00:00.000Z', 'event'],
        ['RETRY', '2026-11-20T08:00:00.000Z', 'console'],
        ['SUBMITTING', '2026-11-20T08:00:05.000Z'],
        ['THROTTLED', '2026-11-20T08:00:06.000Z'],
      ),
    });
    // Act and Assess
    expect(waitingSinceOf(launch)).toBe('2026-11-20T08:00:05.000Z');
  });

  it('has no waiting time once the launch is not waiting', () => {
    // Act and Assess
    expect(waitingSinceOf(aLaunch({ status: 'RUNNING' }))).toBeUndefined();
    expect(waitingSinceOf(aLaunch({ status: 'QUEUED' }))).toBe(aLaunch().createdAt);
  });
});
