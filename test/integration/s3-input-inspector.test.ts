import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeS3InputInspector, sizerOf } from '../../functions/adapters/s3-input-inspector.js';
import { type LocalS3, startLocalS3 } from '../../infra/local/s3/s3.js';

const BUCKET = 'gwm-inspector-inputs';
const directory = mkdtempSync(join(tmpdir(), 'gwm-inspector-'));
let s3: LocalS3;

beforeAll(async () => {
  s3 = await startLocalS3({ directory, buckets: [BUCKET], log: () => {} });
  const put = (key: string, bytes: number) =>
    s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.alloc(bytes, 65) }));
  await put('FC1/S1_R1.fastq.gz', 1_000);
  await put('FC1/S1_R2.fastq.gz', 1_500);
  await put('FC1/S2/part-0.fastq.gz', 700);
  await put('FC1/S2/part-1.fastq.gz', 300);
  for (let i = 0; i < 60; i++) await put(`many/${i}.fq`, 10 + i);
});

afterAll(async () => {
  await s3?.stop();
  await rm(directory, { recursive: true, force: true });
});

const uri = (key: string) => `s3://${BUCKET}/${key}`;

describe('S3 input inspector on the local S3', () => {
  it('finds objects with HeadObject and folders by listing them, with their sizes', async () => {
    const states = await makeS3InputInspector(s3.client).inspect([
      uri('FC1/S1_R1.fastq.gz'),
      uri('FC1/S2/'),
      uri('FC1/S2'),
    ]);

    expect(states.get(uri('FC1/S1_R1.fastq.gz'))).toEqual({ kind: 'present', sizeBytes: 1_000 });
    expect(states.get(uri('FC1/S2/'))).toEqual({ kind: 'present', sizeBytes: 1_000, objectCount: 2 });
    expect(states.get(uri('FC1/S2'))).toEqual({ kind: 'present', sizeBytes: 1_000, objectCount: 2 });
  });

  it('calls an absent object, an empty folder and a missing bucket missing, with the reason', async () => {
    const states = await makeS3InputInspector(s3.client).inspect([
      uri('FC1/missing.fastq.gz'),
      uri('FC1/empty/'),
      's3://gwm-no-such-bucket/a.fq',
    ]);

    expect(states.get(uri('FC1/missing.fastq.gz'))).toEqual({
      kind: 'missing',
      reason: 'no object and no folder with objects at this key',
    });
    expect(states.get(uri('FC1/empty/'))?.kind).toBe('missing');
    expect(states.get('s3://gwm-no-such-bucket/a.fq')).toEqual({
      kind: 'missing',
      reason: 'the bucket does not exist',
    });
  });

  it('inspects many inputs a few at a time, each once; the sizer keeps the sized ones', async () => {
    const uris = Array.from({ length: 60 }, (_, i) => uri(`many/${i}.fq`));

    const states = await makeS3InputInspector(s3.client, { concurrency: 8 }).inspect([...uris, ...uris]);
    const sizes = await sizerOf(makeS3InputInspector(s3.client)).sizes([uris[3] as string, uri('FC1/nope')]);

    expect(states.size).toBe(60);
    expect(uris.map((each) => states.get(each))).toEqual(
      uris.map((_, i) => ({ kind: 'present', sizeBytes: 10 + i })),
    );
    expect(Object.fromEntries(sizes)).toEqual({ [uris[3] as string]: 13 });
  });
});

describe('S3 input inspector on what only AWS answers', () => {
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const failure = (name: string, status: number) =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

  it('reports storage class, archive status and restore as HeadObject gives them', async () => {
    const mock = mockClient(client);
    mock.on(HeadObjectCommand, { Key: 'deep.fq' }).resolves({
      ContentLength: 42,
      StorageClass: 'DEEP_ARCHIVE',
      Restore: 'ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"',
    });
    mock.on(HeadObjectCommand, { Key: 'tiered.fq' }).resolves({
      ContentLength: 7,
      StorageClass: 'INTELLIGENT_TIERING',
      ArchiveStatus: 'ARCHIVE_ACCESS',
    });

    const states = await makeS3InputInspector(client).inspect([
      's3://lab-inputs/deep.fq',
      's3://lab-inputs/tiered.fq',
    ]);

    expect(states.get('s3://lab-inputs/deep.fq')).toEqual({
      kind: 'present',
      sizeBytes: 42,
      storageClass: 'DEEP_ARCHIVE',
      restore: 'ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"',
    });
    expect(states.get('s3://lab-inputs/tiered.fq')).toEqual({
      kind: 'present',
      sizeBytes: 7,
      storageClass: 'INTELLIGENT_TIERING',
      archiveStatus: 'ARCHIVE_ACCESS',
    });
    mock.restore();
  });

  it('calls a 403 unreadable and S3 failing unknown, never missing', async () => {
    const mock = mockClient(client);
    mock.on(HeadObjectCommand, { Key: 'locked.fq' }).rejects(failure('Forbidden', 403));
    mock.on(HeadObjectCommand, { Key: 'slow.fq' }).rejects(failure('SlowDown', 503));
    mock.on(ListObjectsV2Command, { Prefix: 'locked/' }).rejects(failure('AccessDenied', 403));

    const states = await makeS3InputInspector(client).inspect([
      's3://lab-inputs/locked.fq',
      's3://lab-inputs/slow.fq',
      's3://lab-inputs/locked/',
    ]);

    expect(states.get('s3://lab-inputs/locked.fq')).toEqual({
      kind: 'unreadable',
      reason: 'S3 answered Forbidden (403)',
    });
    expect(states.get('s3://lab-inputs/slow.fq')).toEqual({
      kind: 'unknown',
      reason: 'S3 answered SlowDown (503)',
    });
    expect(states.get('s3://lab-inputs/locked/')).toEqual({
      kind: 'unreadable',
      reason: 'listing locked/: S3 answered AccessDenied (403)',
    });
    mock.restore();
  });

  it('lists a folder of many inputs, and reads with HeadObject only one of them, the archived ones and the unlisted', async () => {
    const mock = mockClient(client);
    const keys = Array.from({ length: 20 }, (_, i) => `fc/S${String(i).padStart(2, '0')}.fq`);
    mock.on(ListObjectsV2Command, { Prefix: 'fc/', Delimiter: '/' }).resolves({
      Contents: keys
        .filter((key) => key !== 'fc/S07.fq')
        .map((key) => ({ Key: key, Size: 100, StorageClass: key === 'fc/S11.fq' ? 'GLACIER' : 'STANDARD' })),
    });
    mock.on(HeadObjectCommand).resolves({ ContentLength: 100 });
    mock.on(ListObjectsV2Command, { Prefix: 'fc/S07.fq/' }).resolves({ Contents: [] });
    mock.on(HeadObjectCommand, { Key: 'fc/S07.fq' }).rejects(failure('NotFound', 404));
    mock.on(HeadObjectCommand, { Key: 'fc/S11.fq' }).resolves({
      ContentLength: 100,
      StorageClass: 'GLACIER',
      Restore: 'ongoing-request="true"',
    });

    const states = await makeS3InputInspector(client).inspect(keys.map((key) => `s3://lab-inputs/${key}`));

    const heads = mock.commandCalls(HeadObjectCommand).map((call) => call.args[0].input.Key);
    expect(heads.sort()).toEqual(['fc/S00.fq', 'fc/S07.fq', 'fc/S11.fq']);
    const listing = mock.commandCalls(ListObjectsV2Command)[0]?.args[0].input;
    expect(listing).toMatchObject({ Prefix: 'fc/', Delimiter: '/', StartAfter: 'fc/S00.f' });
    expect(states.get('s3://lab-inputs/fc/S07.fq')?.kind).toBe('missing');
    expect(states.get('s3://lab-inputs/fc/S11.fq')).toEqual({
      kind: 'present',
      sizeBytes: 100,
      storageClass: 'GLACIER',
      restore: 'ongoing-request="true"',
    });
    expect(states.get('s3://lab-inputs/fc/S19.fq')).toEqual({ kind: 'present', sizeBytes: 100 });
    expect(states.size).toBe(20);
    mock.restore();
  });
});
