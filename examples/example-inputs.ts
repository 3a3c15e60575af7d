import { readFileSync } from 'node:fs';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { syntheticFastq } from './workflows/synthetic-fastq.js';

const MANIFESTS = ['flowcell-native.json', 'flowcell-seed.json'];
const S3_URI = /^s3:\/\/([^/]+)\/(.+)$/;

/**
 * Small FASTQ files for every input the example manifests name in `bucket`, so uploading an
 * example manifest to the local stack runs end to end. The same key always gets the same content.
 */
export function exampleInputs(bucket: string): Array<{ key: string; body: Buffer }> {
  const keys = new Set<string>();
  for (const name of MANIFESTS) {
    const text = readFileSync(new URL(`./manifests/${name}`, import.meta.url), 'utf8');
    collectUris(JSON.parse(text), (uri) => {
      const match = S3_URI.exec(uri);
      if (match?.[1] === bucket && match[2]?.includes('.fastq')) keys.add(match[2]);
    });
  }
  // Mates of a pair (`_R1`/`_R2`) get the same number of reads, as a sequencer writes them.
  const pairs = [...new Set([...keys].map(pairOf))].sort();
  return [...keys].sort().map((key, index) => ({
    key,
    body: syntheticFastq({
      seed: 1_000 + index,
      reads: 1_500 + 100 * pairs.indexOf(pairOf(key)),
      readLength: 100,
      gzip: key.endsWith('.gz'),
      namePrefix:
        key
          .split('/')
          .at(-1)
          ?.replace(/\.fastq(\.gz)?$/, '') ?? 'read',
    }),
  }));
}

function pairOf(key: string): string {
  return key.replace(/_R2(?=[_.])/, '_R1');
}

function collectUris(value: unknown, found: (uri: string) => void): void {
  if (typeof value === 'string') {
    if (value.startsWith('s3://')) found(value);
  } else if (Array.isArray(value)) {
    for (const item of value) collectUris(item, found);
  } else if (value && typeof value === 'object') {
    for (const item of Object.values(value)) collectUris(item, found);
  }
}

/** Uploads the example inputs that are missing (a person may have replaced some); returns how many. */
export async function uploadExampleInputs(s3: S3Client, bucket: string): Promise<number> {
  let added = 0;
  for (const input of exampleInputs(bucket)) {
    try {
      await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: input.key }));
      continue;
    } catch (error) {
      const name = (error as Error).name;
      if (name !== 'NotFound' && name !== 'NoSuchKey') throw error;
    }
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: input.key, Body: input.body }));
    added += 1;
  }
  return added;
}
