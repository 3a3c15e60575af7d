import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ScheduledEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { isScheduledEvent, withScheduledSweep } from '../../functions/scheduled-event.js';
import { scheduledEvent } from '../../infra/local/stack-resources.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(resolve(import.meta.dirname, '../../../shared/fixtures', name), 'utf8')) as unknown;

/** What else reaches the functions that run a sweep: their own events, as AWS sends them. */
const OTHER_EVENTS: Record<string, unknown> = {
  'an S3 notification (intake)': fixture('s3-put-manifest-encoded-key.json'),
  "S3's test message (intake)": fixture('s3-test-event.json'),
  'an EventBridge Object Created (intake)': {
    version: '0',
    id: 'e1',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: '2026-12-07T10:00:00Z',
    region: 'us-east-1',
    resources: ['arn:aws:s3:::lab-manifests'],
    detail: { bucket: { name: 'lab-manifests' }, object: { key: 'runs/FC-1.json', size: 10, etag: 'x' } },
  },
  'an EventBridge Object Restore Completed (restore tracker)': {
    version: '0',
    id: 'e2',
    'detail-type': 'Object Restore Completed',
    source: 'aws.s3',
    account: '123456789012',
    time: '2026-12-07T10:00:00Z',
    region: 'us-east-1',
    resources: ['arn:aws:s3:::lab-inputs'],
    detail: { bucket: { name: 'lab-inputs' }, object: { key: 'fastq/S1_R1.fastq.gz' } },
  },
  'a DynamoDB stream batch (aggregator)': {
    Records: [{ eventID: '1', eventName: 'MODIFY', eventSource: 'aws:dynamodb', dynamodb: {} }],
  },
  'a HealthOmics run status change': fixture('omics-run-status-completed.json'),
};

describe("a function's scheduled sweep", () => {
  it("takes the schedule's tick, as EventBridge sends it", async () => {
    // Prepare
    const seen: string[] = [];
    const handler = withScheduledSweep(
      async (_event: unknown, context: { name: string }) => {
        seen.push(`handler ${context.name}`);
        return 'handled';
      },
      async (event: ScheduledEvent) => {
        seen.push(`sweep ${event['detail-type']}`);
        return 'swept';
      },
    );
    // Act
    const result = await handler(scheduledEvent(), { name: 'ctx' });
    // Assess
    expect(result).toBe('swept');
    expect(seen).toEqual(['sweep Scheduled Event']);
  });

  it.each(Object.entries(OTHER_EVENTS))(
    'leaves %s to the function’s handler, with its context',
    async (_, event) => {
      // Prepare
      const seen: unknown[] = [];
      const handler = withScheduledSweep(
        async (received: unknown, context: { name: string }) => {
          seen.push([received, context.name]);
          return 'handled';
        },
        async () => {
          throw new Error('not a tick');
        },
      );
      // Act
      const result = await handler(event, { name: 'ctx' });
      // Assess
      expect(isScheduledEvent(event)).toBe(false);
      expect(result).toBe('handled');
      expect(seen).toEqual([[event, 'ctx']]);
    },
  );
});
