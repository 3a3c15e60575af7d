import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalS3, startLocalS3 } from '../../infra/local/s3/s3.js';
import { waitFor } from '../support/wait-for.js';

const folders: string[] = [];
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

describe('local S3 notifications across a restart', () => {
  it('delivers again an upload event a stopped server had not finished handling, and not one it had', async () => {
    // Prepare: a server whose handler is still busy with the first upload when a second server starts
    const root = await mkdtemp(join(tmpdir(), 'gwm-s3-journal-'));
    folders.push(root);
    const start = (handler: (event: S3Event) => Promise<void>) =>
      startLocalS3({
        directory: join(root, 's3'),
        buckets: ['manifests'],
        notifications: {
          buckets: ['manifests'],
          keys: [{ suffix: '.json' }],
          handler,
          deadLetterFile: join(root, 'intake.jsonl'),
          journalFile: join(root, 's3-notifications.jsonl'),
        },
      });
    let release = () => {};
    const busy = new Promise<void>((resolve) => {
      release = resolve;
    });
    const firstSeen: string[] = [];
    const first: LocalS3 = await start(async (event) => {
      const key = event.Records[0]?.s3.object.key ?? '';
      firstSeen.push(key);
      if (key === 'stuck.json') await busy;
    });
    await first.client.send(new PutObjectCommand({ Bucket: 'manifests', Key: 'done.json', Body: '{}' }));
    await first.client.send(new PutObjectCommand({ Bucket: 'manifests', Key: 'stuck.json', Body: '{}' }));
    await waitFor(
      () => (firstSeen.length === 2 ? true : undefined),
      'both uploads to reach the first handler',
    );

    // Act: another server on the same folder and journal, as a restarted stack
    const secondSeen: string[] = [];
    const second = await start(async (event) => {
      secondSeen.push(event.Records[0]?.s3.object.key ?? '');
    });
    const redelivered = second.redeliverPending();
    await second.settle();

    // Assess
    expect(redelivered).toBe(1);
    expect(secondSeen).toEqual(['stuck.json']);
    release();
    await first.stop();
    await second.stop();
  });
});
