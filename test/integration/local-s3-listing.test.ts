import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { forEachConcurrently } from '../../domain/concurrency.js';
import { type LocalS3, startLocalS3 } from '../../infra/local/s3/s3.js';
import { localS3Folders } from '../support/local-s3-folders.js';

const BUCKET = 'gwm-inputs';
const { freshDir, track, untrack } = localS3Folders('gwm-local-s3-listing-');

async function start(directory = freshDir()): Promise<LocalS3> {
  const s3 = await startLocalS3({ directory, buckets: [BUCKET] });
  track(s3);
  return s3;
}

async function put(client: S3Client, keys: string[]) {
  await forEachConcurrently(keys, 16, async (key) => {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
  });
}

/** Every page of a listing, as a client pages through it: keys with sizes, and common prefixes. */
async function listAll(client: S3Client, input: Omit<ListObjectsV2CommandInput, 'Bucket'>) {
  const keys: string[] = [];
  const sizes: number[] = [];
  const prefixes: string[] = [];
  let pages = 0;
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, ...input, ...(token && { ContinuationToken: token }) }),
    );
    pages++;
    for (const object of page.Contents ?? []) {
      keys.push(object.Key ?? '');
      sizes.push(object.Size ?? -1);
    }
    for (const prefix of page.CommonPrefixes ?? []) prefixes.push(prefix.Prefix ?? '');
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return { keys, sizes, prefixes, pages };
}

const sorted = (keys: string[]) => [...keys].sort();

describe('local S3 listing', () => {
  it('lists in key order, page by page, with a prefix, a delimiter and a start, as S3 does', async () => {
    // Prepare: a flowcell folder of 2,100 FASTQs uploaded out of order, a sub-folder and a neighbour
    const s3 = await start();
    const fastqs = Array.from({ length: 2_100 }, (_, i) => `fc/S${(i * 7919) % 2_100}_R1.fastq.gz`);
    const others = ['fc/qc/report.html', 'fc/qc/stats.json', 'fc2/S1_R1.fastq.gz', 'fc', 'a.txt'];
    await put(s3.client, [...fastqs, ...others]);

    // Act: the folder with a delimiter, the folder from a start, and everything under a prefix
    const folder = await listAll(s3.client, { Prefix: 'fc/', Delimiter: '/' });
    const fromMiddle = await listAll(s3.client, { Prefix: 'fc/', Delimiter: '/', StartAfter: 'fc/S1999' });
    const under = await listAll(s3.client, { Prefix: 'fc' });
    const short = await firstPage(s3.client, { Prefix: 'fc/', MaxKeys: 5 });

    // Assess: every key once, in order, in pages of 1,000; sub-folders as common prefixes
    expect(folder.keys).toEqual(sorted(fastqs));
    expect(folder.sizes).toEqual(sorted(fastqs).map((key) => Buffer.byteLength(key)));
    expect(folder.pages).toBe(3);
    expect(new Set(folder.prefixes)).toEqual(new Set(['fc/qc/']));
    expect(fromMiddle.keys).toEqual(sorted(fastqs).filter((key) => key > 'fc/S1999'));
    expect(under.keys).toEqual(sorted([...fastqs, ...others.filter((key) => key.startsWith('fc'))]));
    expect(under.prefixes).toEqual([]);
    expect(short).toEqual({ keys: sorted(fastqs).slice(0, 5), truncated: true });
    await expect(
      s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: 'not-a-token' })),
    ).rejects.toMatchObject({ name: 'InvalidArgument' });
  });

  it('lists a key as soon as its write was answered, and no longer once its delete was', async () => {
    // Prepare
    const s3 = await start();
    await put(s3.client, ['in/a.fq']);

    // Act, Assess: a PutObject, a CopyObject, a completed multipart upload, a DeleteObject
    await s3.client.send(
      new CopyObjectCommand({ Bucket: BUCKET, Key: 'in/b.fq', CopySource: `${BUCKET}/in/a.fq` }),
    );
    const upload = await s3.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'in/c.fq' }));
    const part = await s3.client.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: 'in/c.fq',
        UploadId: upload.UploadId,
        PartNumber: 1,
        Body: 'part one',
      }),
    );
    await s3.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'in/c.fq',
        UploadId: upload.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    expect((await listAll(s3.client, { Prefix: 'in/' })).keys).toEqual(['in/a.fq', 'in/b.fq', 'in/c.fq']);
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'in/a.fq' }));
    expect((await listAll(s3.client, { Prefix: 'in/' })).keys).toEqual(['in/b.fq', 'in/c.fq']);
    // an upload in progress is not an object
    await s3.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'in/d.fq' }));
    expect((await listAll(s3.client, {})).keys).toEqual(['in/b.fq', 'in/c.fq']);
  });

  it('lists after a restart on the same folder exactly what was stored, folder markers and deep keys too', async () => {
    // Prepare
    const directory = freshDir();
    const first = await start(directory);
    const keys = ['runs/', 'runs/1/out/a.bam', 'runs/1/out/b.bam', 'runs/2/x', 'top.json', 'ü/ß ~+.fq'];
    await put(first.client, keys);
    await first.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'runs/2/x' }));
    await first.stop();
    untrack(first);

    // Act
    const second = await start(directory);

    // Assess
    const expected = sorted(keys.filter((key) => key !== 'runs/2/x'));
    expect((await listAll(second.client, {})).keys).toEqual(expected);
    const runs = await listAll(second.client, { Prefix: 'runs/', Delimiter: '/' });
    expect(runs).toMatchObject({ keys: ['runs/'], prefixes: ['runs/1/'] });
  });
});

async function firstPage(client: S3Client, input: Omit<ListObjectsV2CommandInput, 'Bucket'>) {
  const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, ...input }));
  return { keys: (page.Contents ?? []).map((object) => object.Key), truncated: page.IsTruncated };
}
