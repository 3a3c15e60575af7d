import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { errorMessage, GwmError } from '../../domain/errors.js';
import { parseS3Uri, s3UriError } from '../../domain/s3-uri.js';

/**
 * What the local workflow programs share: reading an input given as `s3://bucket/key` or as a
 * local path, the S3 client built from the environment the local engine gives them, and how a
 * program ends (one clear last line on stderr, which the engine makes the run's failure reason).
 */

/** The input is missing, unreadable or malformed: the run fails (exit 1). */
export class InputError extends GwmError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'InputError';
  }
}

/** The program was called wrongly (unknown option, missing or malformed argument): exit 2. */
export class UsageError extends Error {
  readonly code = 'USAGE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

export interface S3Settings {
  /** Absent: the regular AWS endpoint for the region. */
  endpoint?: string;
  region: string;
  /** Absent: the SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** `GWM_S3_ENDPOINT`, `AWS_REGION` (default us-east-1), `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`. */
export function s3SettingsFromEnv(env: NodeJS.ProcessEnv): S3Settings {
  const endpoint = env.GWM_S3_ENDPOINT?.trim() || undefined;
  if (endpoint !== undefined && !URL.canParse(endpoint)) {
    throw new UsageError(`GWM_S3_ENDPOINT is not a URL: ${JSON.stringify(endpoint)}`);
  }
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  return {
    endpoint,
    region: env.AWS_REGION?.trim() || 'us-east-1',
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
  };
}

/**
 * Path-style addressing because a local S3 has no per-bucket host names; checksums only when an
 * operation requires them, or a local S3 stores a streamed body with its chunk framing inside.
 */
export function makeS3Client(settings: S3Settings): S3Client {
  return new S3Client({
    region: settings.region,
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    ...(settings.credentials === undefined ? {} : { credentials: settings.credentials }),
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export interface UriReader {
  /** A byte stream of the object or file; its consumer must read it to the end or destroy it. */
  open(uri: string): Promise<Readable>;
  /** The whole object or file parsed as JSON, refused above `maxBytes`. */
  readJson(uri: string, options?: { maxBytes?: number }): Promise<unknown>;
  /**
   * What tells this content from any other at the same URI, as HealthOmics call caching tells inputs
   * apart: an S3 object's ETag, a local file's size and modification time. Undefined when unknown.
   */
  version(uri: string): Promise<string | undefined>;
  /** Releases the S3 client's connections (when one was made). */
  close(): void;
}

const DEFAULT_JSON_LIMIT = 16 * 1024 * 1024;

/** Reads `s3://` URIs through an S3 client made on first use, and anything else as a local path. */
export function makeUriReader(settings: () => S3Settings): UriReader {
  let client: S3Client | undefined;
  const s3 = () => {
    client ??= makeS3Client(settings());
    return client;
  };

  async function openUri(uri: string): Promise<Readable> {
    if (isS3Uri(uri)) return openS3(s3, uri);
    if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(uri)) {
      throw new InputError('UNSUPPORTED_URI', `${uri}: only s3:// URIs and local paths can be read`);
    }
    try {
      const handle = await open(uri, 'r');
      return handle.createReadStream();
    } catch (error) {
      throw new InputError(
        isNotFound(error) ? 'INPUT_NOT_FOUND' : 'INPUT_UNREADABLE',
        `${uri}: ${isNotFound(error) ? 'no such file' : `cannot be read (${errorMessage(error)})`}`,
        { cause: error },
      );
    }
  }

  async function readJson(uri: string, options: { maxBytes?: number } = {}): Promise<unknown> {
    const limit = options.maxBytes ?? DEFAULT_JSON_LIMIT;
    const stream = await openUri(uri);
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > limit) throw new InputError('INPUT_TOO_LARGE', `${uri}: larger than ${limit} bytes`);
        chunks.push(chunk);
      }
    } catch (error) {
      if (error instanceof InputError) throw error;
      throw new InputError('INPUT_UNREADABLE', `${uri}: reading failed (${errorMessage(error)})`, {
        cause: error,
      });
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (error) {
      throw new InputError('INPUT_NOT_JSON', `${uri}: not valid JSON (${errorMessage(error)})`, {
        cause: error,
      });
    }
  }

  async function version(uri: string): Promise<string | undefined> {
    try {
      if (!isS3Uri(uri)) {
        const info = await stat(uri);
        return `${info.size}:${info.mtimeMs}`;
      }
      const location = parseS3Uri(uri);
      if (location === undefined || location.key === '') return undefined;
      const head = await s3().send(new HeadObjectCommand({ Bucket: location.bucket, Key: location.key }));
      return head.ETag;
    } catch {
      return undefined;
    }
  }

  return {
    open: openUri,
    readJson,
    version,
    close() {
      client?.destroy();
      client = undefined;
    },
  };
}

export function isS3Uri(uri: string): boolean {
  return uri.startsWith('s3://');
}

/**
 * A location inside a run's output: `s3://b/p/123/` + `out/stats.json`, or the same below a local
 * folder. A missing trailing slash on an S3 prefix is added.
 */
export function childUri(base: string, ...segments: string[]): string {
  if (!isS3Uri(base)) return join(base, ...segments);
  return `${base.endsWith('/') ? base : `${base}/`}${segments.join('/')}`;
}

async function openS3(client: () => S3Client, uri: string): Promise<Readable> {
  const location = parseS3Uri(uri);
  if (location === undefined || location.key === '') {
    throw new InputError(
      'BAD_URI',
      `${uri}: ${s3UriError(uri) ?? 'an input must name an object, not a whole bucket'}`,
    );
  }
  let body: unknown;
  try {
    const response = await client().send(
      new GetObjectCommand({ Bucket: location.bucket, Key: location.key }),
    );
    body = response.Body;
  } catch (error) {
    throw s3ReadError(uri, location.bucket, error);
  }
  if (body === undefined) return Readable.from([]);
  // On Node the SDK's body is the HTTP response itself, a Readable.
  if (body instanceof Readable) return body;
  throw new InputError('INPUT_UNREADABLE', `${uri}: the S3 client returned a body that is not a Node stream`);
}

function s3ReadError(uri: string, bucket: string, error: unknown): InputError {
  if (!(error instanceof S3ServiceException)) {
    return new InputError('INPUT_UNREADABLE', `${uri}: cannot be read (${errorMessage(error)})`, {
      cause: error,
    });
  }
  const missing = error.name === 'NoSuchKey' || error.name === 'NotFound';
  const reason = missing
    ? 'the object does not exist'
    : error.name === 'NoSuchBucket'
      ? `bucket "${bucket}" does not exist`
      : `${error.name}: ${error.message}`;
  return new InputError(missing ? 'INPUT_NOT_FOUND' : 'INPUT_UNREADABLE', `${uri}: ${reason}`, {
    cause: error,
  });
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Runs a program's main function and ends it the way the local engine expects: exit 0 on success;
 * on failure one last stderr line `<program>: <message>` (the run's failure reason), exit 2 for
 * a usage error and 1 for anything else.
 */
export async function runProgram(program: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
    process.exitCode = 0;
  } catch (error) {
    // Node prints process warnings (the SDK emits some) on a later tick: let them out first, so
    // the line below really is the last one on stderr.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const usage = error instanceof UsageError;
    const known = usage || error instanceof InputError;
    if (!known && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    const message = errorMessage(error)
      .replace(/\s*[\r\n]+\s*/g, ' ')
      .trim();
    process.stderr.write(`${program}: ${message}\n`);
    process.exitCode = usage ? 2 : 1;
  }
}
