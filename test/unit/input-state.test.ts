import { describe, expect, it } from 'vitest';
import { inputProblems, sizesOf, unanswered } from '../../domain/inputs/input-problems.js';
import { availabilityOf, type InputState, parseRestoreHeader } from '../../domain/inputs/input-state.js';
import { archivedInputsSummary } from '../../domain/inputs/restore.js';

describe('availability of an input object', () => {
  it('reads every class that needs no restore as it is', () => {
    for (const storageClass of [
      undefined,
      'STANDARD',
      'STANDARD_IA',
      'ONEZONE_IA',
      'GLACIER_IR',
      'REDUCED_REDUNDANCY',
    ]) {
      expect(availabilityOf({ storageClass })).toEqual({ kind: 'readable' });
    }
    expect(availabilityOf({ storageClass: 'INTELLIGENT_TIERING' })).toEqual({ kind: 'readable' });
  });

  it('needs a restore for GLACIER, DEEP_ARCHIVE and the Intelligent-Tiering archive tiers', () => {
    expect(availabilityOf({ storageClass: 'GLACIER' })).toEqual({
      kind: 'archived',
      storageClass: 'GLACIER',
    });
    expect(availabilityOf({ storageClass: 'DEEP_ARCHIVE' })).toEqual({
      kind: 'archived',
      storageClass: 'DEEP_ARCHIVE',
    });
    for (const archiveStatus of ['ARCHIVE_ACCESS', 'DEEP_ARCHIVE_ACCESS']) {
      expect(availabilityOf({ storageClass: 'INTELLIGENT_TIERING', archiveStatus })).toEqual({
        kind: 'archived',
        storageClass: 'INTELLIGENT_TIERING',
      });
    }
  });

  it('tells a restore under way from a restored copy and its expiry', () => {
    expect(availabilityOf({ storageClass: 'DEEP_ARCHIVE', restore: 'ongoing-request="true"' })).toEqual({
      kind: 'restoring',
      storageClass: 'DEEP_ARCHIVE',
    });
    expect(
      availabilityOf({
        storageClass: 'GLACIER',
        restore: 'ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"',
      }),
    ).toEqual({ kind: 'restored', storageClass: 'GLACIER', expiresAt: '2012-12-21T00:00:00.000Z' });
  });

  it('reads the Restore header as S3 writes it, and nothing from what it is not', () => {
    expect(
      parseRestoreHeader('ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"'),
    ).toEqual({
      ongoing: false,
      expiresAt: '2012-12-21T00:00:00.000Z',
    });
    expect(parseRestoreHeader('ongoing-request="true"')).toEqual({ ongoing: true });
    expect(parseRestoreHeader(undefined)).toBeUndefined();
    expect(parseRestoreHeader('')).toBeUndefined();
    expect(parseRestoreHeader('garbage')).toBeUndefined();
  });
});

describe('problems of the inputs S3 answered for', () => {
  const states = new Map<string, InputState>([
    ['s3://in/a.fq', { kind: 'present', sizeBytes: 10 }],
    ['s3://in/b.fq', { kind: 'missing', reason: 'no such object' }],
    ['s3://in/c.fq', { kind: 'unreadable', reason: 'S3 answered AccessDenied (403)' }],
    ['s3://in/d/', { kind: 'present', objectCount: 3 }],
    ['s3://in/e.fq', { kind: 'unknown', reason: 'S3 answered SlowDown (503)' }],
  ]);

  it('reports each missing or refused input at every place it is named, in the order given', () => {
    const problems = inputProblems(
      [
        { uri: 's3://in/a.fq', path: '$.samples[0].inputs.fastq1' },
        { uri: 's3://in/b.fq', path: '$.samples[1].inputs.fastq1' },
        { uri: 's3://in/c.fq', path: '$.samples[2].inputs.fastq1' },
        { uri: 's3://in/b.fq', path: '$.qc.inputs.reads' },
      ],
      states,
    );
    expect(problems).toEqual([
      {
        path: '$.samples[1].inputs.fastq1',
        code: 'INPUT_NOT_FOUND',
        message: 's3://in/b.fq does not exist: no such object',
      },
      {
        path: '$.samples[2].inputs.fastq1',
        code: 'INPUT_NOT_READABLE',
        message: 'gwm may not read s3://in/c.fq: S3 answered AccessDenied (403)',
      },
      {
        path: '$.qc.inputs.reads',
        code: 'INPUT_NOT_FOUND',
        message: 's3://in/b.fq does not exist: no such object',
      },
    ]);
  });

  it('keeps the sizes it knows and names the inputs S3 did not answer for', () => {
    expect(Object.fromEntries(sizesOf(states))).toEqual({ 's3://in/a.fq': 10 });
    expect(unanswered(states)).toEqual([{ uri: 's3://in/e.fq', reason: 'S3 answered SlowDown (503)' }]);
  });
});

describe('archived inputs of a launch, for people', () => {
  it('says how many are restored and when the rest are due', () => {
    expect(
      archivedInputsSummary({
        archivedInputs: [
          { uri: 's3://in/a', storageClass: 'GLACIER', restoredAt: '2026-12-05T10:00:00.000Z' },
          { uri: 's3://in/b', storageClass: 'DEEP_ARCHIVE', dueAt: '2026-12-07T10:00:00.000Z' },
          { uri: 's3://in/c', storageClass: 'GLACIER', dueAt: '2026-12-05T22:00:00.000Z' },
        ],
      }),
    ).toBe('restored 1 of 3 archived inputs, due 2026-12-07 10:00 UTC');
    expect(
      archivedInputsSummary({
        archivedInputs: [
          { uri: 's3://in/a', storageClass: 'GLACIER', restoredAt: '2026-12-05T10:00:00.000Z' },
        ],
      }),
    ).toBe('restored 1 of 1 archived input');
    expect(archivedInputsSummary({})).toBeUndefined();
  });
});
