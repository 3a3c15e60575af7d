import { describe, expect, it } from 'vitest';
import { isUnderPrefix, makePrefixMatcher, parseS3Uri, s3UriError } from '../../domain/s3-uri.js';

describe('parseS3Uri', () => {
  it('splits a URI into bucket and key', () => {
    // Prepare
    const uri = 's3://lab-samples-fastq/HK3H3BBXY/NA12878_L001_R1.fastq.gz';

    // Act
    const location = parseS3Uri(uri);

    // Assess
    expect(location).toEqual({ bucket: 'lab-samples-fastq', key: 'HK3H3BBXY/NA12878_L001_R1.fastq.gz' });
  });

  it('gives an empty key for a bucket-only URI, with or without the slash', () => {
    // Act
    const bare = parseS3Uri('s3://lab-results');
    const slashed = parseS3Uri('s3://lab-results/');

    // Assess
    expect(bare).toEqual({ bucket: 'lab-results', key: '' });
    expect(slashed).toEqual({ bucket: 'lab-results', key: '' });
  });

  it('keeps a folder key with its trailing slash', () => {
    // Act
    const location = parseS3Uri('s3://lab.results-01/runs/2026/');

    // Assess
    expect(location).toEqual({ bucket: 'lab.results-01', key: 'runs/2026/' });
  });

  it.each([
    ['no scheme', 'lab-results/key'],
    ['another scheme', 'https://lab-results.s3.amazonaws.com/key'],
    ['a single slash', 's3:/lab-results/key'],
    ['an upper-case scheme', 'S3://lab-results/key'],
    ['no bucket', 's3:///key'],
    ['a two-letter bucket', 's3://ab/key'],
    ['a 64-letter bucket', `s3://${'a'.repeat(64)}/key`],
    ['an upper-case bucket', 's3://Lab-Results/key'],
    ['an underscore in the bucket', 's3://lab_results/key'],
    ['a bucket starting with a hyphen', 's3://-lab/key'],
    ['a bucket ending with a dot', 's3://lab./key'],
    ['two adjacent dots in the bucket', 's3://lab..results/key'],
    ['a bucket formatted as an IP address', 's3://192.168.1.10/key'],
    ['a reserved bucket prefix', 's3://xn--lab/key'],
    ['a reserved bucket suffix', 's3://lab-s3alias/key'],
    ['a space in the key', 's3://lab-results/my file.fastq.gz'],
    ['a tab in the key', 's3://lab-results/a\tb'],
    ['a newline at the end', 's3://lab-results/key\n'],
    ['a leading space', ' s3://lab-results/key'],
    ['a .. segment', 's3://lab-results/team/../other/key'],
    ['a . segment', 's3://lab-results/./key'],
    ['a key longer than 1024 bytes', `s3://lab-results/${'é'.repeat(513)}`],
  ])('rejects a URI with %s', (_case, uri) => {
    // Act
    const location = parseS3Uri(uri);
    const error = s3UriError(uri);

    // Assess
    expect(location).toBeUndefined();
    expect(error).toEqual(expect.any(String));
  });

  it('accepts dots inside a key segment', () => {
    // Act
    const location = parseS3Uri('s3://lab-results/v1..2/sample.R1..fastq.gz');

    // Assess
    expect(location?.key).toBe('v1..2/sample.R1..fastq.gz');
  });

  it.each(['s3://lab-results/..', 's3://lab-results/../x', 's3://lab-results/a/.'])(
    'rejects the dot segment in %s',
    (uri) => {
      // Act
      const location = parseS3Uri(uri);

      // Assess
      expect(location).toBeUndefined();
    },
  );

  it('accepts a minimal 3-letter and a maximal 63-letter bucket', () => {
    // Act
    const short = parseS3Uri('s3://abc/k');
    const long = parseS3Uri(`s3://${'a'.repeat(63)}/k`);

    // Assess
    expect(short?.bucket).toBe('abc');
    expect(long?.bucket).toHaveLength(63);
  });

  it('says why an upper-case scheme is refused', () => {
    // Act
    const error = s3UriError('S3://lab-results/key');

    // Assess
    expect(error).toContain('lower case');
  });
});

describe('isUnderPrefix', () => {
  // Each case: the URIs it checks, the allowed prefixes, and whether the URI is under them.
  it.each<{ title: string; checks: [uri: string, prefixes: string[], allowed: boolean][] }>([
    {
      title: 'allows a key inside a prefix that ends with a slash',
      checks: [['s3://lab-data/p/x.fastq.gz', ['s3://lab-data/p/'], true]],
    },
    {
      title: 'treats a prefix without a trailing slash as a folder boundary',
      checks: [
        ['s3://lab-data/p/x', ['s3://lab-data/p'], true],
        ['s3://lab-data/px', ['s3://lab-data/p'], false],
      ],
    },
    {
      title: 'refuses a sibling folder whose name extends the prefix',
      checks: [['s3://lab-data/p-private/x', ['s3://lab-data/p/'], false]],
    },
    {
      title: 'allows the whole bucket for a bucket-only prefix',
      checks: [
        ['s3://lab-data/any/thing', ['s3://lab-data'], true],
        ['s3://lab-data/any/thing', ['s3://lab-data/'], true],
      ],
    },
    {
      title: 'refuses another bucket whose name starts like the allowed one',
      checks: [['s3://lab-data-other/x', ['s3://lab-data'], false]],
    },
    {
      title: 'allows the prefix folder itself as an output location',
      checks: [['s3://lab-results/runs/', ['s3://lab-results/runs/'], true]],
    },
    {
      title: 'refuses a malformed URI even when its text starts with an allowed prefix',
      checks: [['s3://lab-data/p/../../secret/x', ['s3://lab-data/p/'], false]],
    },
    {
      title: 'lets a malformed prefix allow nothing',
      checks: [['s3://lab-data/x', ['s3://Lab-Data/', 'lab-data/'], false]],
    },
    {
      title: 'allows nothing without prefixes',
      checks: [['s3://lab-data/x', [], false]],
    },
  ])('$title', ({ checks }) => {
    for (const [uri, prefixes, allowed] of checks) {
      expect(isUnderPrefix(uri, prefixes), `${uri} under ${prefixes.join(' ')}`).toBe(allowed);
    }
  });

  it('allows a URI under any one of several prefixes', () => {
    // Prepare
    const matches = makePrefixMatcher(['s3://lab-a/in/', 's3://lab-b/in/']);

    // Act
    const inB = matches({ bucket: 'lab-b', key: 'in/x' });
    const outsideB = matches({ bucket: 'lab-b', key: 'out/x' });

    // Assess
    expect(inB).toBe(true);
    expect(outsideB).toBe(false);
  });
});
