import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CopyObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  RestoreObjectCommand,
  type RestoreObjectCommandInput,
  type S3Client,
  type StorageClass,
  type Tier,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import type { LocalLog } from '../../infra/local/local-log.js';
import { type LocalS3, startLocalS3 } from '../../infra/local/s3/s3.js';
import {
  type LocalS3ArchiveOptions,
  type ObjectRestoreCompletedEvent,
  RESTORES_FILE,
} from '../../infra/local/s3/s3-archive.js';
import { localS3Folders } from '../support/local-s3-folders.js';

const BUCKET = 'gwm-lab-inputs';
const BODY = Buffer.from('@read1\nACGT\n+\nIIII\n');
const BODY_MD5 = createHash('md5').update(BODY).digest('hex');
/** Restores in a few hundred milliseconds, so a whole lifecycle fits in a test. */
// Long enough for the few calls a test makes while a restore runs, on a loaded machine.
const FAST: LocalS3ArchiveOptions['restoreDelayMs'] = {
  GLACIER: { Expedited: 300, Standard: 1_000, Bulk: 1_500 },
  DEEP_ARCHIVE: { Standard: 1_000, Bulk: 1_500 },
  ARCHIVE_ACCESS: { Standard: 1_000, Bulk: 1_500 },
  DEEP_ARCHIVE_ACCESS: { Standard: 1_000, Bulk: 1_500 },
};

const { workDir, freshDir, track } = localS3Folders('gwm-local-s3-archive-');

interface Harness {
  s3: LocalS3;
  client: S3Client;
  events: ObjectRestoreCompletedEvent[];
  logged: Parameters<LocalLog>[];
  directory: string;
}

async function start(archive: LocalS3ArchiveOptions = {}, directory = freshDir()): Promise<Harness> {
  const events: ObjectRestoreCompletedEvent[] = [];
  const logged: Parameters<LocalLog>[] = [];
  const s3 = await startLocalS3({
    directory,
    buckets: [BUCKET],
    log: (...line) => logged.push(line),
    archive: {
      restoreDelayMs: FAST,
      onRestoreCompleted: (event) => {
        events.push(event);
      },
      ...archive,
    },
  });
  track(s3);
  return { s3, client: s3.client, events, logged, directory };
}

async function put(client: S3Client, key: string, storageClass?: string, archiveStatus?: string) {
  await client.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: key,
      Body: BODY,
      ...(storageClass ? { StorageClass: storageClass as StorageClass } : {}),
      ...(archiveStatus ? { Metadata: { 'archive-status': archiveStatus } } : {}),
    }),
  );
}

function head(client: S3Client, key: string): Promise<HeadObjectCommandOutput> {
  return client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
}

async function getBytes(client: S3Client, key: string): Promise<Buffer> {
  const response = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from((await response.Body?.transformToByteArray()) ?? []);
}

async function restore(client: S3Client, key: string, request: RestoreObjectCommandInput['RestoreRequest']) {
  const response = await client.send(
    new RestoreObjectCommand({ Bucket: BUCKET, Key: key, ...(request ? { RestoreRequest: request } : {}) }),
  );
  return response.$metadata.httpStatusCode;
}

const glacier = (days: number, tier: Tier = 'Standard') => ({
  Days: days,
  GlacierJobParameters: { Tier: tier },
});

/** The S3 error a call failed with: its code, HTTP status and modelled fields. */
async function failure(call: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await call;
  } catch (error) {
    const { name, $metadata, StorageClass, AccessTier } = error as Record<string, unknown> & {
      $metadata?: { httpStatusCode?: number };
    };
    return { name, status: $metadata?.httpStatusCode, StorageClass, AccessTier };
  }
  throw new Error('the call succeeded');
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function expiryOf(output: HeadObjectCommandOutput): number {
  const match = /^ongoing-request="false", expiry-date="(.+)"$/.exec(output.Restore ?? '');
  if (!match?.[1]) throw new Error(`no expiry in ${output.Restore}`);
  return Date.parse(match[1]);
}

describe('local S3 archive storage classes', () => {
  it('answers HeadObject and GetObject for each class as S3 does, and lists each object with its class', async () => {
    // Prepare
    const { client } = await start();
    const readable = ['STANDARD', 'REDUCED_REDUNDANCY', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING'];
    for (const storageClass of [...readable, 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE']) {
      await put(client, `class/${storageClass}`, storageClass);
    }
    await put(client, 'class/none');
    await put(client, 'class/it-archive', 'INTELLIGENT_TIERING', 'ARCHIVE_ACCESS');
    await put(client, 'class/it-deep', 'INTELLIGENT_TIERING', 'DEEP_ARCHIVE_ACCESS');

    // Act
    const heads = new Map<string, HeadObjectCommandOutput>();
    for (const key of [
      'none',
      ...readable,
      'GLACIER_IR',
      'GLACIER',
      'DEEP_ARCHIVE',
      'it-archive',
      'it-deep',
    ]) {
      heads.set(key, await head(client, `class/${key}`));
    }
    const listedV2 = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'class/' }));
    const listedV1 = await client.send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: 'class/' }));

    // Assess
    expect(heads.get('none')?.StorageClass).toBeUndefined();
    expect(heads.get('STANDARD')?.StorageClass).toBeUndefined();
    for (const storageClass of [...readable.slice(1), 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE']) {
      expect(heads.get(storageClass)?.StorageClass).toBe(storageClass);
      expect(heads.get(storageClass)?.ArchiveStatus).toBeUndefined();
      expect(heads.get(storageClass)?.Restore).toBeUndefined();
    }
    expect(heads.get('it-archive')).toMatchObject({
      StorageClass: 'INTELLIGENT_TIERING',
      ArchiveStatus: 'ARCHIVE_ACCESS',
      Metadata: { 'archive-status': 'ARCHIVE_ACCESS' },
    });
    expect(heads.get('it-deep')?.ArchiveStatus).toBe('DEEP_ARCHIVE_ACCESS');
    for (const key of ['none', ...readable, 'GLACIER_IR']) {
      expect(await getBytes(client, `class/${key}`)).toEqual(BODY);
    }
    expect(await failure(getBytes(client, 'class/GLACIER'))).toEqual({
      name: 'InvalidObjectState',
      status: 403,
      StorageClass: 'GLACIER',
      AccessTier: undefined,
    });
    expect(await failure(getBytes(client, 'class/DEEP_ARCHIVE'))).toMatchObject({ status: 403 });
    expect(await failure(getBytes(client, 'class/it-archive'))).toEqual({
      name: 'InvalidObjectState',
      status: 403,
      StorageClass: 'INTELLIGENT_TIERING',
      AccessTier: 'ARCHIVE_ACCESS',
    });
    expect(await failure(getBytes(client, 'class/it-deep'))).toMatchObject({
      AccessTier: 'DEEP_ARCHIVE_ACCESS',
    });
    const expected = {
      'class/DEEP_ARCHIVE': 'DEEP_ARCHIVE',
      'class/GLACIER': 'GLACIER',
      'class/GLACIER_IR': 'GLACIER_IR',
      'class/INTELLIGENT_TIERING': 'INTELLIGENT_TIERING',
      'class/ONEZONE_IA': 'ONEZONE_IA',
      'class/REDUCED_REDUNDANCY': 'REDUCED_REDUNDANCY',
      'class/STANDARD': 'STANDARD',
      'class/STANDARD_IA': 'STANDARD_IA',
      'class/it-archive': 'INTELLIGENT_TIERING',
      'class/it-deep': 'INTELLIGENT_TIERING',
      'class/none': 'STANDARD',
    };
    for (const listed of [listedV2, listedV1]) {
      const classes = Object.fromEntries(
        (listed.Contents ?? []).map((item) => [item.Key, item.StorageClass]),
      );
      expect(classes).toEqual(expected);
    }
  });

  it('refuses a class S3 does not have', async () => {
    // Prepare
    const { client } = await start();

    // Act
    const refused = await failure(put(client, 'class/bad', 'COLD'));

    // Assess
    expect(refused).toMatchObject({ name: 'InvalidStorageClass', status: 400 });
  });
});

describe('local S3 restores', () => {
  it('restores a GLACIER object: 202, 409 while restoring, one event, the bytes, 200 extends, then expiry', async () => {
    // Prepare: one-second restore days, so the copy expires within the test.
    const { client, events } = await start({ restoreDayMs: 1_000 });
    const key = 'runs/sample 1+a.fastq';
    await put(client, key, 'GLACIER');

    // Act
    const started = await restore(client, key, glacier(2));
    const again = await failure(restore(client, key, glacier(2)));
    const restoring = await head(client, key);
    const refusedWhileRestoring = await failure(getBytes(client, key));
    await waitFor(() => events.length === 1);
    const restored = await head(client, key);
    const bytes = await getBytes(client, key);
    const extended = await restore(client, key, glacier(3));
    const afterExtension = await head(client, key);

    // Assess
    expect(started).toBe(202);
    expect(again).toMatchObject({ name: 'RestoreAlreadyInProgress', status: 409 });
    expect(restoring).toMatchObject({ StorageClass: 'GLACIER', Restore: 'ongoing-request="true"' });
    expect(refusedWhileRestoring).toMatchObject({ name: 'InvalidObjectState', status: 403 });
    const event = events[0];
    expect(event).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'Object Restore Completed',
      source: 'aws.s3',
      account: '000000000000',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: 'us-east-1',
      resources: [`arn:aws:s3:::${BUCKET}`],
      detail: {
        version: '0',
        bucket: { name: BUCKET },
        object: { key, size: BODY.length, etag: BODY_MD5 },
        'request-id': expect.stringMatching(/^[0-9A-F]{16}$/),
        requester: 's3.amazonaws.com',
        'restore-expiry-time': expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        'source-storage-class': 'GLACIER',
      },
    });
    const expiry = expiryOf(restored);
    expect(expiry).toBe(Date.parse(event?.detail['restore-expiry-time'] ?? ''));
    expect(expiry % 1_000).toBe(0);
    expect(expiry - Date.parse(event?.time ?? '')).toBeGreaterThanOrEqual(2_000);
    expect(bytes).toEqual(BODY);
    expect(extended).toBe(200);
    expect(expiryOf(afterExtension)).toBeGreaterThan(expiry);

    // Act: the copy expires.
    await sleep(expiryOf(afterExtension) - Date.now() + 50);

    // Assess
    expect(await failure(getBytes(client, key))).toMatchObject({ name: 'InvalidObjectState', status: 403 });
    expect((await head(client, key)).Restore).toBeUndefined();
    expect(events).toHaveLength(1);
  });

  it('refuses restores S3 refuses', async () => {
    // Prepare
    const { client } = await start();
    await put(client, 'deep', 'DEEP_ARCHIVE');
    await put(client, 'standard');
    await put(client, 'instant', 'GLACIER_IR');
    await put(client, 'tiered', 'INTELLIGENT_TIERING', 'ARCHIVE_ACCESS');
    await put(client, 'frequent', 'INTELLIGENT_TIERING');

    // Act
    const expedited = await failure(restore(client, 'deep', glacier(1, 'Expedited')));
    const standard = await failure(restore(client, 'standard', glacier(1)));
    const instant = await failure(restore(client, 'instant', glacier(1)));
    const frequent = await failure(
      restore(client, 'frequent', { GlacierJobParameters: { Tier: 'Standard' } }),
    );
    const tieredWithDays = await failure(restore(client, 'tiered', glacier(1)));
    const missing = await failure(restore(client, 'nothing-here', glacier(1)));
    const noDays = await failure(restore(client, 'deep', { GlacierJobParameters: { Tier: 'Bulk' } }));

    // Assess
    expect(expedited).toMatchObject({ name: 'InvalidArgument', status: 400 });
    expect(standard).toMatchObject({ name: 'InvalidObjectState', status: 403 });
    expect(instant).toMatchObject({ name: 'InvalidObjectState', status: 403 });
    expect(frequent).toMatchObject({ name: 'InvalidObjectState', status: 403 });
    expect(tieredWithDays).toMatchObject({ name: 'InvalidArgument', status: 400 });
    expect(missing).toMatchObject({ name: 'NoSuchKey', status: 404 });
    expect(noDays).toMatchObject({ name: 'InvalidArgument', status: 400 });
    expect((await head(client, 'deep')).Restore).toBeUndefined();
  });

  it('moves an Intelligent-Tiering object back to Frequent Access, with no expiry', async () => {
    // Prepare
    const { client, events } = await start();
    await put(client, 'tiered', 'INTELLIGENT_TIERING', 'DEEP_ARCHIVE_ACCESS');

    // Act
    const started = await restore(client, 'tiered', { GlacierJobParameters: { Tier: 'Bulk' } });
    const restoring = await head(client, 'tiered');
    await waitFor(() => events.length === 1);
    const restored = await head(client, 'tiered');

    // Assess
    expect(started).toBe(202);
    expect(restoring).toMatchObject({
      ArchiveStatus: 'DEEP_ARCHIVE_ACCESS',
      Restore: 'ongoing-request="true"',
    });
    expect(events[0]?.detail).toMatchObject({
      object: { key: 'tiered', size: BODY.length, etag: BODY_MD5 },
      'source-storage-class': 'INTELLIGENT_TIERING',
    });
    expect(events[0]?.detail['restore-expiry-time']).toBeUndefined();
    expect(restored.StorageClass).toBe('INTELLIGENT_TIERING');
    expect(restored.ArchiveStatus).toBeUndefined();
    expect(restored.Restore).toBeUndefined();
    expect(await getBytes(client, 'tiered')).toEqual(BODY);
    expect(await failure(restore(client, 'tiered', undefined))).toMatchObject({ name: 'InvalidObjectState' });
  });

  it('ends a restore when the object is written again, and copies in the class the copy names', async () => {
    // Prepare
    const { client, events } = await start();
    await put(client, 'archived', 'GLACIER');
    await put(client, 'rewritten', 'GLACIER');
    const unrestored = await failure(
      client.send(
        new CopyObjectCommand({ Bucket: BUCKET, Key: 'early-copy', CopySource: `${BUCKET}/archived` }),
      ),
    );
    await restore(client, 'archived', glacier(1, 'Expedited'));
    await restore(client, 'rewritten', glacier(1, 'Expedited'));
    await waitFor(() => events.length === 2);

    // Act
    await put(client, 'rewritten', 'GLACIER');
    await client.send(
      new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy', CopySource: `${BUCKET}/archived` }),
    );
    await client.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: 'deep-copy',
        CopySource: `${BUCKET}/archived`,
        StorageClass: 'DEEP_ARCHIVE',
      }),
    );

    // Assess
    expect(unrestored).toMatchObject({ name: 'InvalidObjectState', status: 403 });
    expect((await head(client, 'rewritten')).Restore).toBeUndefined();
    expect(await failure(getBytes(client, 'rewritten'))).toMatchObject({ name: 'InvalidObjectState' });
    expect((await head(client, 'copy')).StorageClass).toBeUndefined();
    expect(await getBytes(client, 'copy')).toEqual(BODY);
    expect((await head(client, 'deep-copy')).StorageClass).toBe('DEEP_ARCHIVE');
    expect(await failure(getBytes(client, 'deep-copy'))).toMatchObject({ name: 'InvalidObjectState' });
  });

  it('completes after a restart a restore left in progress, at once when overdue, and keeps the copy', async () => {
    // Prepare: a restore of 1.2 s, and the S3 stopped right after it started.
    const first = await start({ restoreDelayMs: { DEEP_ARCHIVE: { Bulk: 1_200 } } });
    await put(first.client, 'deep', 'DEEP_ARCHIVE');
    await restore(first.client, 'deep', glacier(3, 'Bulk'));
    await first.s3.stop();
    expect(JSON.parse(readFileSync(join(first.directory, RESTORES_FILE), 'utf8')).restores).toHaveLength(1);
    await sleep(1_300);

    // Act
    const startedAt = Date.now();
    const second = await start({}, first.directory);
    await waitFor(() => second.events.length === 1);
    const completedIn = Date.now() - startedAt;
    const restored = await head(second.client, 'deep');
    await second.s3.stop();
    const third = await start({}, first.directory);

    // Assess
    expect(first.events).toHaveLength(0);
    expect(completedIn).toBeLessThan(900);
    expect(second.events[0]?.detail['source-storage-class']).toBe('DEEP_ARCHIVE');
    expect(expiryOf(await head(third.client, 'deep'))).toBe(expiryOf(restored));
    expect(await getBytes(third.client, 'deep')).toEqual(BODY);
    expect(third.events).toHaveLength(0);
  });

  it('logs a completion callback that throws and carries on', async () => {
    // Prepare
    const { client, logged } = await start({
      onRestoreCompleted: () => {
        throw new Error('target down');
      },
    });
    await put(client, 'archived', 'GLACIER');

    // Act
    await restore(client, 'archived', glacier(1, 'Expedited'));
    await waitFor(() => logged.some(([level]) => level === 'error'));

    // Assess
    expect(logged.find(([level]) => level === 'error')).toEqual([
      'error',
      'local S3: onRestoreCompleted failed',
      { bucket: BUCKET, key: 'archived', error: { name: 'Error', message: 'target down' } },
    ]);
    expect(await getBytes(client, 'archived')).toEqual(BODY);
  });
});

/** The AWS CLI on the PATH, if any. */
const aws = spawnSync('which', ['aws'], { encoding: 'utf8' }).stdout.trim() || undefined;

describe('local S3 archive with the AWS CLI', () => {
  it.skipIf(aws === undefined)(
    'uploads to DEEP_ARCHIVE with aws s3 cp and restores with aws s3api',
    async () => {
      // Prepare: each CLI call starts a Python process (seconds on a loaded machine)
      const { s3, client, events } = await start({
        restoreDelayMs: { ...FAST, DEEP_ARCHIVE: { Standard: 1_000, Bulk: 10_000 } },
      });
      const file = join(workDir, 'reads.fq');
      writeFileSync(file, BODY);
      const env = {
        PATH: process.env.PATH ?? '',
        HOME: workDir,
        AWS_ACCESS_KEY_ID: 'gwmlocal',
        AWS_SECRET_ACCESS_KEY: 'gwmlocal',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_CONFIG_FILE: join(workDir, 'no-aws-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'no-aws-credentials'),
        // The local S3 stores bodies as sent: no aws-chunked framing.
        AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required',
      };
      const cli = (...args: string[]) =>
        promisify(execFile)(aws ?? 'aws', ['--endpoint-url', s3.endpoint, ...args], { env });

      // Act
      await cli('s3', 'cp', file, `s3://${BUCKET}/cli/reads.fq`, '--storage-class', 'DEEP_ARCHIVE');
      await cli(
        's3api',
        'restore-object',
        '--bucket',
        BUCKET,
        '--key',
        'cli/reads.fq',
        '--restore-request',
        '{"Days":7,"GlacierJobParameters":{"Tier":"Bulk"}}',
      );
      const restoring = JSON.parse(
        (await cli('s3api', 'head-object', '--bucket', BUCKET, '--key', 'cli/reads.fq')).stdout,
      ) as Record<string, unknown>;
      await waitFor(() => events.length === 1, 20_000);

      // Assess
      expect(restoring).toMatchObject({ StorageClass: 'DEEP_ARCHIVE', Restore: 'ongoing-request="true"' });
      expect(events[0]?.detail).toMatchObject({
        object: { key: 'cli/reads.fq', size: BODY.length, etag: BODY_MD5 },
        'source-storage-class': 'DEEP_ARCHIVE',
      });
      expect(await getBytes(client, 'cli/reads.fq')).toEqual(BODY);
    },
  );
});
