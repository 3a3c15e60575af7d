import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRunStatusEvent, runIdFromArn } from '../../domain/run-events.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));

describe('run status events', () => {
  it('reads a current event with run id, uuid and output location', () => {
    const parsed = parseRunStatusEvent(fixture('omics-run-status-completed.json'));
    expect(parsed).toEqual({
      ok: true,
      event: expect.objectContaining({
        runId: '2101313',
        runUuid: '153893cd-097a-40ec-aec7-838a97cd2b21',
        status: 'COMPLETED',
        time: '2022-10-20T22:07:35Z',
        runOutputUri: 's3://amzn-s3-demo-bucket/run-output/2101313',
      }),
    });
  });

  it('takes the run id from the ARN of an older event with only arn and status', () => {
    const parsed = parseRunStatusEvent(fixture('omics-run-status-failed-legacy.json'));
    expect(parsed).toMatchObject({ ok: true, event: { runId: '4455667', status: 'FAILED' } });
    if (parsed.ok) expect(parsed.event.runUuid).toBeUndefined();
  });

  it('does not read a Task Status Change as a run event', () => {
    const parsed = parseRunStatusEvent(fixture('omics-task-status-running.json'));
    expect(parsed).toEqual({ ok: false, reason: 'not a run status change (Task Status Change)' });
  });

  it('does not read an unknown status or another source', () => {
    const event = fixture('omics-run-status-completed.json');
    expect(parseRunStatusEvent({ ...event, detail: { ...event.detail, status: 'EXPLODED' } }).ok).toBe(false);
    expect(parseRunStatusEvent({ ...event, source: 'aws.batch' }).ok).toBe(false);
    expect(parseRunStatusEvent(null).ok).toBe(false);
  });

  it('finds the run id only in a run ARN', () => {
    expect(runIdFromArn('arn:aws:omics:us-east-1:123456789012:run/42')).toBe('42');
    expect(runIdFromArn('arn:aws:omics:us-east-1:123456789012:task/42')).toBeUndefined();
  });
});
