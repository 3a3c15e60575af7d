import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeS3InputSizer } from '../../functions/adapters/s3-input-sizer.js';
import { type LocalS3, startLocalS3 } from '../../infra/local/s3.js';

const BUCKET = 'gwm-sizer-inputs';
const directory = mkdtempSync(join(tmpdir(), 'gwm-sizer-'));
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

describe('S3 input sizer', () => {
  it('sizes objects with HeadObject and prefixes as the sum of their objects', async () => {
    const sizer = makeS3InputSizer(s3.client);

    const sizes = await sizer.sizes([
      `s3://${BUCKET}/FC1/S1_R1.fastq.gz`,
      `s3://${BUCKET}/FC1/S1_R2.fastq.gz`,
      `s3://${BUCKET}/FC1/S2/`,
      `s3://${BUCKET}/FC1/S2`,
    ]);

    expect(Object.fromEntries(sizes)).toEqual({
      [`s3://${BUCKET}/FC1/S1_R1.fastq.gz`]: 1_000,
      [`s3://${BUCKET}/FC1/S1_R2.fastq.gz`]: 1_500,
      [`s3://${BUCKET}/FC1/S2/`]: 1_000,
      [`s3://${BUCKET}/FC1/S2`]: 1_000,
    });
  });

  it('leaves out what cannot be sized, without failing the rest', async () => {
    const sizer = makeS3InputSizer(s3.client);

    const sizes = await sizer.sizes([
      `s3://${BUCKET}/FC1/missing.fastq.gz`,
      's3://gwm-no-such-bucket/a.fq',
      `s3://${BUCKET}/FC1/S1_R1.fastq.gz`,
    ]);

    expect(Object.fromEntries(sizes)).toEqual({ [`s3://${BUCKET}/FC1/S1_R1.fastq.gz`]: 1_000 });
  });

  it('sizes many inputs a few at a time, each once', async () => {
    const sizer = makeS3InputSizer(s3.client, { concurrency: 8 });
    const uris = Array.from({ length: 60 }, (_, i) => `s3://${BUCKET}/many/${i}.fq`);

    const sizes = await sizer.sizes([...uris, ...uris]);

    expect(sizes.size).toBe(60);
    expect(uris.every((uri, i) => sizes.get(uri) === 10 + i)).toBe(true);
  });
});
