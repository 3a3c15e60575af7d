import { mkdtempSync } from 'node:fs';
import { appendFile, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EVENT_DETAIL_SCHEMAS, type Notice, renderNotice } from '../../domain/notifications.js';
import { eventBridgeEntry } from '../../functions/adapters/eventbridge-notifier.js';
import { snsPublishInput } from '../../functions/adapters/sns-notifier.js';
import { makeOutboxNotifier, readOutbox } from '../../infra/local/notifications/outbox-notifier.js';
import { aBatchCompletedNotice, aLaunchFailedNotice, aManifestRejectedNotice } from '../support/notices.js';

const workDir = mkdtempSync(join(tmpdir(), 'gwm-outbox-'));
afterAll(() => rm(workDir, { recursive: true, force: true }));
let dirs = 0;
const outboxDir = () => join(workDir, `outbox-${++dirs}`);

const TOPIC = 'arn:aws:sns:us-east-1:000000000000:gwm-notifications';
const BUS = 'gwm-local';

const completed = aBatchCompletedNotice({
  sourceUri: 's3://gwm-manifests/incoming/HK3H3BBXY.json',
  counts: { total: 2, succeeded: 1, failed: 1, cancelled: 0, launchFailed: 0, deleted: 0 },
  startedAt: '2026-05-01T10:00:00.000Z',
  finishedAt: '2026-05-01T10:45:00.000Z',
  failures: aBatchCompletedNotice().failures.map(({ logLocation: _, ...failure }) => ({
    ...failure,
    failureReason: 'truncated gzip input',
    logExcerpt: 'reading S2_R1.fastq.gz\nerror: unexpected end of file',
  })),
});

const launchFailed = aLaunchFailedNotice();

const rejected = aManifestRejectedNotice({ sourceUri: 's3://gwm-manifests/incoming/cohort-7.json' });

describe('outbox notifier', () => {
  it('writes the SNS Publish input and the PutEvents entry the deployed notifiers would send', async () => {
    // Prepare
    const dir = outboxDir();
    const notifier = makeOutboxNotifier({ dir, topicArn: TOPIC, eventBusName: BUS });
    const before = Date.now();

    // Act
    await notifier.send(completed);

    // Assess
    const outbox = await readOutbox(dir);
    expect(outbox.sns).toHaveLength(1);
    expect(outbox.events).toHaveLength(1);
    expect(outbox.sns[0]?.publish).toEqual(snsPublishInput(completed, TOPIC));
    expect(outbox.events[0]?.entry).toEqual(eventBridgeEntry(completed, BUS));
    expect(outbox.sns[0]?.publish).toMatchObject({
      TopicArn: TOPIC,
      Subject: renderNotice(completed).subject,
      MessageAttributes: { outcome: { DataType: 'String', StringValue: 'COMPLETED_WITH_FAILURES' } },
    });
    const entry = outbox.events[0]?.entry;
    expect(entry).toMatchObject({ EventBusName: BUS, Source: 'gwm', DetailType: 'Batch Completed' });
    const detail = EVENT_DETAIL_SCHEMAS['Batch Completed'].parse(JSON.parse(entry?.Detail ?? 'null'));
    expect(detail).toMatchObject({ batchId: 'b-hk3', failures: [{ sampleId: 'S2', runId: '7002' }] });
    for (const line of [outbox.sns[0], outbox.events[0]]) {
      const time = Date.parse(line?.time ?? '');
      expect(time).toBeGreaterThanOrEqual(before - 1000);
      expect(time).toBeLessThanOrEqual(Date.now());
    }
  });

  it('writes one line per notice to each file, in the order they were sent', async () => {
    // Prepare
    const dir = outboxDir();
    const notifier = makeOutboxNotifier({ dir, topicArn: TOPIC, eventBusName: BUS });
    const notices: Notice[] = [completed, launchFailed, rejected];

    // Act: sent together, as concurrent stream consumers would
    await Promise.all(notices.map((notice) => notifier.send(notice)));

    // Assess
    const snsText = await readFile(join(dir, 'sns.jsonl'), 'utf8');
    const eventsText = await readFile(join(dir, 'events.jsonl'), 'utf8');
    expect(snsText.trimEnd().split('\n')).toHaveLength(3);
    expect(eventsText.trimEnd().split('\n')).toHaveLength(3);
    const outbox = await readOutbox(dir);
    expect(outbox.sns.map((line) => line.publish)).toEqual(
      notices.map((notice) => snsPublishInput(notice, TOPIC)),
    );
    expect(outbox.events.map((line) => line.entry.DetailType)).toEqual([
      'Batch Completed',
      'Launch Failed',
      'Manifest Rejected',
    ]);
    expect(outbox.events.map((line) => line.entry)).toEqual(
      notices.map((notice) => eventBridgeEntry(notice, BUS)),
    );
  });

  it('tells print about each notice with the rendered subject and text', async () => {
    // Prepare
    const printed: { kind: string; subject: string; text: string }[] = [];
    const notifier = makeOutboxNotifier({
      dir: outboxDir(),
      topicArn: TOPIC,
      eventBusName: BUS,
      print: (notice, rendered) => printed.push({ kind: notice.kind, ...rendered }),
    });

    // Act
    await notifier.send(rejected);

    // Assess
    expect(printed).toEqual([{ kind: 'manifest-rejected', ...renderNotice(rejected) }]);
    expect(printed[0]?.subject).toBe('gwm: cohort-7 manifest rejected (1 problem)');
  });

  it('reads a folder with no notifications yet as empty', async () => {
    await expect(readOutbox(outboxDir())).resolves.toEqual({ sns: [], events: [] });
  });

  it('keeps earlier notifications across notifiers on the same folder (a restart)', async () => {
    // Prepare
    const dir = outboxDir();
    await makeOutboxNotifier({ dir, topicArn: TOPIC, eventBusName: BUS }).send(completed);

    // Act
    await makeOutboxNotifier({ dir, topicArn: TOPIC, eventBusName: BUS }).send(rejected);

    // Assess
    const outbox = await readOutbox(dir);
    expect(outbox.sns.map((line) => line.publish.MessageAttributes?.kind?.StringValue)).toEqual([
      'batch-completed',
      'manifest-rejected',
    ]);
  });

  it('leaves out half a last line left by a write that was cut short', async () => {
    // Prepare
    const dir = outboxDir();
    await makeOutboxNotifier({ dir, topicArn: TOPIC, eventBusName: BUS }).send(completed);
    await appendFile(join(dir, 'sns.jsonl'), '{"time":"2026-05-01T10:46:00.000Z","publish":{"TopicAr');

    // Act
    const outbox = await readOutbox(dir);

    // Assess
    expect(outbox.sns).toHaveLength(1);
    expect(outbox.sns[0]?.publish).toEqual(snsPublishInput(completed, TOPIC));
  });

  it('fails with a retryable delivery error when the folder cannot be written', async () => {
    // Prepare: a file where the folder should be
    await appendFile(join(workDir, 'not-a-folder'), 'x');
    const notifier = makeOutboxNotifier({
      dir: join(workDir, 'not-a-folder', 'outbox'),
      topicArn: TOPIC,
      eventBusName: BUS,
    });

    // Act
    const error = await notifier.send(completed).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ name: 'NotificationDeliveryError', code: 'NOTIFICATION_NOT_DELIVERED' });
    expect((error as Error).message).toContain('batch-completed notice of batch b-hk3');
  });
});
