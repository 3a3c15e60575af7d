import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { decodeS3Key } from '../../functions/adapters/s3-manifest-reader.js';
import { MANIFEST_KEY_MATCHERS } from '../../functions/event-sources.js';
import type { LocalLog } from '../../infra/local/local-log.js';
import {
  encodeS3EventKey,
  type LocalS3,
  type LocalS3Options,
  localS3ClientConfig,
  startLocalS3,
} from '../../infra/local/s3/s3.js';
import { localS3Folders } from '../support/local-s3-folders.js';

const MANIFESTS = 'gwm-manifests';
const INPUTS = 'gwm-inputs';
/** Spaces, `+`, parentheses, unicode and a tilde: each encoded differently in an S3 event. */
const AWKWARD_KEY = 'incoming/team a/flowcell+HK3 (2026-11-20) Ünïcødé ~draft.json';

const { workDir, freshDir, track } = localS3Folders('gwm-local-s3-');
let letters = 0;

interface Harness {
  s3: LocalS3;
  events: S3Event[];
  deadLetterFile: string;
  logged: Parameters<LocalLog>[];
}

async function start(
  overrides: Partial<LocalS3Options> & {
    handler?: (event: S3Event) => Promise<void>;
    directory?: string;
  } = {},
): Promise<Harness> {
  const events: S3Event[] = [];
  const logged: Parameters<LocalLog>[] = [];
  const directory = overrides.directory ?? freshDir();
  const deadLetterFile = join(workDir, `dead-letters-${++letters}.jsonl`);
  const handler = overrides.handler;
  const s3 = await startLocalS3({
    directory,
    buckets: [MANIFESTS, INPUTS],
    notifications: {
      buckets: [MANIFESTS],
      keys: MANIFEST_KEY_MATCHERS,
      deadLetterFile,
      retryDelayMs: () => 10,
      handler: async (event) => {
        events.push(event);
        await handler?.(event);
      },
    },
    log: (...line) => logged.push(line),
    ...(overrides.port === undefined ? {} : { port: overrides.port }),
  });
  track(s3);
  return { s3, events, deadLetterFile, logged };
}

async function getBytes(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from((await response.Body?.transformToByteArray()) ?? []);
}

function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

function onlyRecord(event: S3Event | undefined): S3EventRecord {
  expect(event?.Records).toHaveLength(1);
  const record = event?.Records[0];
  if (!record) throw new Error('no record');
  return record;
}

function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('S3 event keys', () => {
  it('encodes a key as the real notification fixture shows', () => {
    const fixture = JSON.parse(
      readFileSync(new URL('../fixtures/s3-put-manifest-encoded-key.json', import.meta.url), 'utf8'),
    ) as S3Event;
    const encoded = fixture.Records[0]?.s3.object.key ?? '';
    expect(encodeS3EventKey('manifests/team a/flowcell HK3H3BBXY (2026-11-20).json')).toBe(encoded);
    expect(decodeS3Key(encoded)).toBe('manifests/team a/flowcell HK3H3BBXY (2026-11-20).json');
  });

  it('escapes + so that it is not read back as a space, and keeps / as it is', () => {
    const encoded = encodeS3EventKey(AWKWARD_KEY);
    expect(encoded).toBe(
      'incoming/team+a/flowcell%2BHK3+%282026-11-20%29+%C3%9Cn%C3%AFc%C3%B8d%C3%A9+%7Edraft.json',
    );
    expect(decodeS3Key(encoded)).toBe(AWKWARD_KEY);
  });

  it('gives clients path-style addressing, local credentials and checksums only when required', () => {
    expect(localS3ClientConfig('http://127.0.0.1:4569')).toEqual({
      endpoint: 'http://127.0.0.1:4569',
      region: 'us-east-1',
      credentials: { accessKeyId: 'gwmlocal', secretAccessKey: 'gwmlocal' },
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });
});

describe('local S3', () => {
  it('notifies a PutObject with a real S3 record whose key decodes to the uploaded key', async () => {
    // Prepare
    const { s3, events } = await start();
    const body = Buffer.from(JSON.stringify({ flowcellSamples: [], note: 'naïve' }));

    // Act
    await s3.client.send(new PutObjectCommand({ Bucket: MANIFESTS, Key: AWKWARD_KEY, Body: body }));
    await s3.settle();

    // Assess
    expect(events).toHaveLength(1);
    const record = onlyRecord(events[0]);
    expect(record).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventName: 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        bucket: { name: MANIFESTS, arn: `arn:aws:s3:::${MANIFESTS}` },
        object: { key: encodeS3EventKey(AWKWARD_KEY), size: body.length, eTag: md5(body) },
      },
    });
    expect(record.s3.object.key).toContain('flowcell%2BHK3+%282026');
    expect(decodeS3Key(record.s3.object.key)).toBe(AWKWARD_KEY);
    expect(record.s3.object.sequencer).toMatch(/^[0-9A-F]{18}$/);
    expect(new Date(record.eventTime).toISOString()).toBe(record.eventTime);
    expect(record.s3.object.versionId).toBeUndefined();
    expect(await getBytes(s3.client, MANIFESTS, decodeS3Key(record.s3.object.key))).toEqual(body);
  });

  it('stores a streamed upload byte for byte, with no chunk framing', async () => {
    // Prepare
    const { s3 } = await start();
    const body = randomBytes(256 * 1024);
    const key = 'incoming/binary blob+1.csv';

    // Act
    await s3.client.send(
      new PutObjectCommand({
        Bucket: MANIFESTS,
        Key: key,
        Body: Readable.from([body.subarray(0, 1000), body.subarray(1000)]),
        ContentLength: body.length,
      }),
    );

    // Assess
    const stored = await getBytes(s3.client, MANIFESTS, key);
    expect(stored.length).toBe(body.length);
    expect(stored.equals(body)).toBe(true);
  });

  it('notifies a multipart upload as ObjectCreated:CompleteMultipartUpload with the whole size', async () => {
    // Prepare
    const { s3, events } = await start();
    const key = `multipart/${AWKWARD_KEY}`;
    const first = randomBytes(5 * 1024 * 1024);
    const second = Buffer.from('{"tail":true}');
    const upload = await s3.client.send(new CreateMultipartUploadCommand({ Bucket: MANIFESTS, Key: key }));
    const uploadId = upload.UploadId;
    const parts = [];
    for (const [index, bytes] of [first, second].entries()) {
      const part = await s3.client.send(
        new UploadPartCommand({
          Bucket: MANIFESTS,
          Key: key,
          UploadId: uploadId,
          PartNumber: index + 1,
          Body: bytes,
        }),
      );
      parts.push({ PartNumber: index + 1, ETag: part.ETag });
    }
    const whole = Buffer.concat([first, second]);

    // Act
    await s3.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: MANIFESTS,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    await s3.settle();

    // Assess
    expect(events).toHaveLength(1);
    const record = onlyRecord(events[0]);
    expect(record.eventName).toBe('ObjectCreated:CompleteMultipartUpload');
    expect(record.s3.object.size).toBe(whole.length);
    expect(decodeS3Key(record.s3.object.key)).toBe(key);
    expect((await getBytes(s3.client, MANIFESTS, key)).equals(whole)).toBe(true);
  });

  it('notifies a CopyObject as ObjectCreated:Copy with the copy’s key and ETag', async () => {
    // Prepare
    const { s3, events } = await start();
    const body = Buffer.from('sample_id,fastq\nS1,s3://gwm-inputs/S1.fastq.gz\n');
    const source = 'staging/sheet (v2)+final.txt';
    const target = 'incoming/sheet (v2)+final Ω.csv';
    await s3.client.send(new PutObjectCommand({ Bucket: INPUTS, Key: source, Body: body }));

    // Act
    await s3.client.send(
      new CopyObjectCommand({ Bucket: MANIFESTS, Key: target, CopySource: encodeURI(`${INPUTS}/${source}`) }),
    );
    await s3.settle();

    // Assess
    expect(events).toHaveLength(1);
    const record = onlyRecord(events[0]);
    expect(record.eventName).toBe('ObjectCreated:Copy');
    expect(record.s3.object).toMatchObject({ size: body.length, eTag: md5(body) });
    expect(decodeS3Key(record.s3.object.key)).toBe(target);
    expect(await getBytes(s3.client, MANIFESTS, target)).toEqual(body);
  });

  it('notifies only .json, .csv and .tsv keys, in any case, and only in the notifying buckets', async () => {
    // Prepare
    const { s3, events } = await start();
    const puts: [string, string][] = [
      [MANIFESTS, 'incoming/a.json'],
      [MANIFESTS, 'incoming/b.csv'],
      [MANIFESTS, 'incoming/c.txt'],
      [MANIFESTS, 'incoming/d.json.bak'],
      [MANIFESTS, 'incoming/E.JSON'],
      [MANIFESTS, 'run/FLOWCELL.CSV'],
      [MANIFESTS, 'incoming/h.Tsv'],
      [INPUTS, 'incoming/f.json'],
      [INPUTS, 'incoming/g.csv'],
    ];

    // Act
    for (const [bucket, key] of puts) {
      await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '{}' }));
    }
    await s3.settle();

    // Assess
    const notified = events.map((event) => {
      const record = onlyRecord(event);
      return `${record.s3.bucket.name}/${decodeS3Key(record.s3.object.key)}`;
    });
    expect(notified.sort()).toEqual([
      `${MANIFESTS}/incoming/E.JSON`,
      `${MANIFESTS}/incoming/a.json`,
      `${MANIFESTS}/incoming/b.csv`,
      `${MANIFESTS}/incoming/h.Tsv`,
      `${MANIFESTS}/run/FLOWCELL.CSV`,
    ]);
  });

  it('answers the upload before the handler has finished, and settles only when it has', async () => {
    // Prepare
    const release = gate();
    let handled = 0;
    const { s3, events } = await start({
      handler: async () => {
        await release.opened;
        handled += 1;
      },
    });

    // Act
    await s3.client.send(new PutObjectCommand({ Bucket: MANIFESTS, Key: 'incoming/slow.json', Body: '{}' }));
    let settled = false;
    const settling = s3.settle().then(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const settledWhileHandling = settled;
    release.open();
    await settling;

    // Assess
    expect(events).toHaveLength(1);
    expect(settledWhileHandling).toBe(false);
    expect(handled).toBe(1);
    await expect(s3.settle()).resolves.toBeUndefined();
  });

  it('calls a throwing handler three times, then writes the event and the error to the dead-letter file', async () => {
    // Prepare
    const calledAt: number[] = [];
    const { s3, events, deadLetterFile, logged } = await start({
      handler: async () => {
        calledAt.push(Date.now());
        throw Object.assign(new Error('table not found'), { name: 'ResourceNotFoundException' });
      },
    });

    // Act
    await s3.client.send(new PutObjectCommand({ Bucket: MANIFESTS, Key: AWKWARD_KEY, Body: '{}' }));
    await s3.settle();

    // Assess
    expect(events).toHaveLength(3);
    expect(new Set(events.map((event) => JSON.stringify(event))).size).toBe(1);
    expect((calledAt[2] ?? 0) - (calledAt[0] ?? 0)).toBeGreaterThanOrEqual(15);
    const lines = (await readFile(deadLetterFile, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const letter = JSON.parse(lines[0] ?? '{}') as { attempts: number; error: unknown; event: S3Event };
    expect(letter.attempts).toBe(3);
    expect(letter.error).toEqual({ name: 'ResourceNotFoundException', message: 'table not found' });
    expect(letter.event).toEqual(events[0]);
    expect(decodeS3Key(letter.event.Records[0]?.s3.object.key ?? '')).toBe(AWKWARD_KEY);
    expect(logged.filter(([level]) => level === 'error')).toHaveLength(1);
  });

  it('keeps objects and buckets across a stop and a restart on the same folder', async () => {
    // Prepare
    const directory = freshDir();
    const first = await start({ directory });
    const body = Buffer.from('{"samples":[{"sampleId":"S1"}]}');
    await first.s3.client.send(new PutObjectCommand({ Bucket: MANIFESTS, Key: AWKWARD_KEY, Body: body }));
    await first.s3.stop();

    // Act
    const second = await start({ directory });

    // Assess
    expect(await getBytes(second.s3.client, MANIFESTS, AWKWARD_KEY)).toEqual(body);
    const buckets = await second.s3.client.send(new ListBucketsCommand({}));
    expect(buckets.Buckets?.map((bucket) => bucket.Name).sort()).toEqual([INPUTS, MANIFESTS]);
    expect(second.logged.filter(([, message]) => message.includes('created bucket'))).toEqual([]);
    expect(second.events).toEqual([]);
  });

  it('stops only after the deliveries in flight, which can still read the object', async () => {
    // Prepare
    const read: string[] = [];
    let client: S3Client | undefined;
    const { s3 } = await start({
      handler: async (event) => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const record = onlyRecord(event);
        const key = decodeS3Key(record.s3.object.key);
        read.push((await getBytes(client as S3Client, record.s3.bucket.name, key)).toString());
      },
    });
    client = s3.client;
    await s3.client.send(
      new PutObjectCommand({ Bucket: MANIFESTS, Key: 'incoming/late.json', Body: '{"late":1}' }),
    );

    // Act
    await s3.stop();

    // Assess
    expect(read).toEqual(['{"late":1}']);
    await expect(fetch(`${s3.endpoint}/${MANIFESTS}`)).rejects.toThrow();
  });

  it('listens on 127.0.0.1 on the given port, and writes nothing to the console', async () => {
    // Prepare
    const consoleCalls = [
      vi.spyOn(console, 'log'),
      vi.spyOn(console, 'info'),
      vi.spyOn(console, 'warn'),
      vi.spyOn(console, 'error'),
    ];
    const probe = await start();
    const port = probe.s3.port;
    await probe.s3.stop();

    // Act
    const { s3, logged } = await start({ port });
    await s3.client.send(new PutObjectCommand({ Bucket: MANIFESTS, Key: 'incoming/x.json', Body: '{}' }));
    const missing = await s3.client
      .send(new GetObjectCommand({ Bucket: MANIFESTS, Key: 'incoming/nothing.json' }))
      .catch((error: unknown) => error);
    const badCopy = await s3.client
      .send(new CopyObjectCommand({ Bucket: MANIFESTS, Key: 'b.json', CopySource: `${INPUTS}/nothing.json` }))
      .catch((error: unknown) => error);
    await s3.settle();

    // Assess
    expect(s3.endpoint).toBe(`http://127.0.0.1:${port}`);
    expect(missing).toMatchObject({ name: 'NoSuchKey' });
    expect(badCopy).toMatchObject({ name: 'NoSuchKey' });
    for (const spy of consoleCalls) {
      expect(spy).not.toHaveBeenCalled();
      spy.mockRestore();
    }
    expect(logged).toContainEqual(['info', `local S3 listening on ${s3.endpoint}`, expect.anything()]);
    expect(logged).toContainEqual(['warn', expect.stringContaining('does not exist'), expect.anything()]);
  });
});
