import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ENTITY_ATTRIBUTE, ENTITY_NAMES } from '../../functions/adapters/entities.js';
import { LAUNCHER_EVENT_SOURCE } from '../../functions/event-sources.js';
import { createRecordFilter } from '../../infra/local/streams/stream-dispatch.js';

type Image = Record<string, { S: string }>;

function record(status: string, extra: { newImage?: Image; oldStatus?: string } = {}): DynamoDBRecord {
  return {
    eventID: 'e1',
    eventName: 'MODIFY',
    eventSource: 'aws:dynamodb',
    dynamodb: {
      NewImage: {
        [ENTITY_ATTRIBUTE]: { S: ENTITY_NAMES.launch },
        batchId: { S: 'b1' },
        launchId: { S: 'b1/S1' },
        status: { S: status },
        ...extra.newImage,
      },
      ...(extra.oldStatus ? { OldImage: { status: { S: extra.oldStatus } } } : {}),
      SequenceNumber: '1',
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

const reachesLauncher = createRecordFilter(LAUNCHER_EVENT_SOURCE);

describe('what reaches the launcher', () => {
  it.each([
    'QUEUED',
    'THROTTLED',
    'RETRY',
    ' RETRY',
    'retry ',
    'CANCEL',
    ' cancel',
    'BOGUS',
    'QUEUD',
    'COMPLETED',
    'FAILED',
  ])('lets %j through: launchable, a request, or an edit to put back', (status) => {
    expect(reachesLauncher(record(status))).toBe(true);
  });

  it.each(['REGISTERED', 'SUBMITTING', 'SUBMITTED', 'PENDING', 'STARTING', 'RUNNING', 'STOPPING'])(
    'leaves out %s, a status gwm writes on the way to a run',
    (status) => {
      expect(reachesLauncher(record(status))).toBe(false);
    },
  );

  it('lets through a launch whose cancel waits for its run id', () => {
    const pending = record('SUBMITTED', { newImage: { cancelRequestedAt: { S: '2026-11-20T12:00:00Z' } } });
    expect(reachesLauncher(pending)).toBe(true);
  });

  it('lets through an in-flight status typed over a finished launch', () => {
    expect(reachesLauncher(record('RUNNING', { oldStatus: 'FAILED' }))).toBe(true);
    expect(reachesLauncher(record('RUNNING', { oldStatus: 'STARTING' }))).toBe(false);
  });
});
