/** A parsed `s3://bucket/key` URI. `key` is empty for a bucket-only URI (`s3://bucket` or `s3://bucket/`). */
export interface S3Location {
  bucket: string;
  key: string;
}

const SCHEME = 's3://';
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IPV4_PATTERN = /^\d{1,3}(\.\d{1,3}){3}$/;
// Whitespace and control characters: S3 would accept some of them, but in a manifest they are
// almost always a copy-paste accident, and they break the run names and logs built from URIs.
const FORBIDDEN_KEY_CHARACTERS = /[\s\p{Cc}]/u;
const MAX_KEY_BYTES = 1024;
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;

/** Why `uri` is not a strict `s3://bucket/key` URI, or undefined when it is one. */
export function s3UriError(uri: string): string | undefined {
  if (!uri.startsWith(SCHEME)) {
    return uri.toLowerCase().startsWith(SCHEME)
      ? 'the scheme must be written in lower case: s3://'
      : 'expected an S3 URI of the form s3://bucket/key';
  }
  const rest = uri.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const key = slash === -1 ? '' : rest.slice(slash + 1);
  const bucketError = bucketNameError(bucket);
  if (bucketError !== undefined) return bucketError;
  if (FORBIDDEN_KEY_CHARACTERS.test(key)) return 'the key contains whitespace or control characters';
  // A UTF-16 unit is at most 3 UTF-8 bytes: only long keys need counting.
  if (key.length * 3 > MAX_KEY_BYTES && Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    return `the key is longer than ${MAX_KEY_BYTES} bytes`;
  }
  // S3 keeps `.` and `..` literally, but tools downstream may resolve them and step outside the
  // prefixes a deployment allows, so they are refused rather than interpreted.
  if (DOT_SEGMENT.test(key)) {
    return 'the key must not contain "." or ".." path segments';
  }
  return undefined;
}

function bucketNameError(bucket: string): string | undefined {
  if (bucket.length === 0) return 'the bucket name is missing';
  if (!BUCKET_PATTERN.test(bucket)) {
    return `"${bucket}" is not a valid bucket name (3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit)`;
  }
  if (bucket.includes('..')) return `"${bucket}" is not a valid bucket name (two adjacent dots)`;
  if (IPV4_PATTERN.test(bucket)) return `"${bucket}" is not a valid bucket name (formatted as an IP address)`;
  if (bucket.startsWith('xn--') || bucket.startsWith('sthree-')) {
    return `"${bucket}" is not a valid bucket name (reserved prefix)`;
  }
  if (bucket.endsWith('-s3alias') || bucket.endsWith('--ol-s3')) {
    return `"${bucket}" is not a valid bucket name (reserved suffix)`;
  }
  return undefined;
}

/** Parses a strict `s3://bucket/key` URI; undefined when it is not one (see `s3UriError` for why). */
export function parseS3Uri(uri: string): S3Location | undefined {
  if (s3UriError(uri) !== undefined) return undefined;
  const rest = uri.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  return slash === -1
    ? { bucket: rest, key: '' }
    : { bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
}

/**
 * Compiles allowed prefixes once into a test for many locations (a manifest has thousands of
 * URIs). A prefix without a trailing slash is a folder: `s3://b/p` allows `s3://b/p/x`, never
 * `s3://b/px`. A bucket-only prefix allows the whole bucket. A malformed prefix allows nothing.
 */
export function makePrefixMatcher(prefixes: readonly string[]): (location: S3Location) => boolean {
  const folders = new Map<string, string[]>();
  for (const prefix of prefixes) {
    const parsed = parseS3Uri(prefix);
    if (parsed === undefined) continue;
    const folder = parsed.key === '' || parsed.key.endsWith('/') ? parsed.key : `${parsed.key}/`;
    const list = folders.get(parsed.bucket);
    if (list === undefined) folders.set(parsed.bucket, [folder]);
    else list.push(folder);
  }
  return (location) =>
    folders.get(location.bucket)?.some((folder) => location.key.startsWith(folder)) ?? false;
}

/** True when `uri` is a valid S3 URI inside one of `prefixes` (see `makePrefixMatcher` for the rules). */
export function isUnderPrefix(uri: string, prefixes: readonly string[]): boolean {
  const location = parseS3Uri(uri);
  return location !== undefined && makePrefixMatcher(prefixes)(location);
}
