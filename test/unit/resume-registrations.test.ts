import { describe, expect, it } from 'vitest';
import { batchIdFor, sha256Hex } from '../../domain/batch.js';
import { registrationStalled, sourceMismatch } from '../../domain/use-cases/resume-registrations.js';
import { aBatch } from '../support/launch-factory.js';

const MINUTE = 60_000;
const now = new Date('2026-11-20T12:00:00.000Z');
const quietForMs = 10 * MINUTE;
const minutesAgo = (minutes: number) => new Date(now.getTime() - minutes * MINUTE).toISOString();

describe('which registrations the reconciler resumes', () => {
  it('resumes a REGISTERING batch whose lease ran out and that has been quiet long enough', () => {
    const batch = aBatch({
      status: 'REGISTERING',
      updatedAt: minutesAgo(11),
      registrationExpiresAt: minutesAgo(10),
    });
    expect(registrationStalled(batch, now, quietForMs)).toBe(true);
  });

  it('leaves a REGISTERING batch whose lease is still live, however quiet (its intake is at work)', () => {
    const batch = aBatch({
      status: 'REGISTERING',
      updatedAt: minutesAgo(30),
      registrationExpiresAt: new Date(now.getTime() + MINUTE).toISOString(),
    });
    expect(registrationStalled(batch, now, quietForMs)).toBe(false);
  });

  it('leaves a registration that changed within the quiet period (S3 may still retry its intake)', () => {
    const registering = aBatch({
      status: 'REGISTERING',
      updatedAt: minutesAgo(5),
      registrationExpiresAt: minutesAgo(4),
    });
    const registered = aBatch({ status: 'REGISTERED', updatedAt: minutesAgo(5) });
    expect(registrationStalled(registering, now, quietForMs)).toBe(false);
    expect(registrationStalled(registered, now, quietForMs)).toBe(false);
  });

  it('resumes the release of a REGISTERED batch quiet long enough', () => {
    expect(
      registrationStalled(aBatch({ status: 'REGISTERED', updatedAt: minutesAgo(10) }), now, quietForMs),
    ).toBe(true);
  });

  it('never resumes a batch past registration, or a rejected one', () => {
    for (const status of ['ACTIVE', 'QC_RUNNING', 'COMPLETED', 'FAILED', 'REJECTED'] as const) {
      expect(
        registrationStalled(aBatch({ status, updatedAt: minutesAgo(600) }), now, quietForMs),
        status,
      ).toBe(false);
    }
  });
});

describe('whether the object read is the manifest a batch came from', () => {
  const text = '{"schemaVersion":"gwm.manifest/v1"}';
  const location = { bucket: 'lab-manifests', key: 'fc/HK3H3BBXY.json' };
  const batch = aBatch({
    batchId: batchIdFor(location.bucket, location.key, sha256Hex(text)),
    sourceUri: 's3://lab-manifests/fc/HK3H3BBXY.json',
    contentSha256: sha256Hex(text),
  });

  it('accepts the same bytes at the same place', () => {
    expect(sourceMismatch(batch, location, { text, sizeBytes: text.length })).toBeUndefined();
  });

  it('refuses other bytes, saying it was overwritten', () => {
    const other = '{"schemaVersion":"gwm.manifest/v1","batch":{}}';
    expect(sourceMismatch(batch, location, { text: other, sizeBytes: other.length })).toMatch(
      /now holds other content .* it was overwritten since/,
    );
  });

  it('refuses an object now too large to read', () => {
    expect(sourceMismatch(batch, location, { sizeBytes: 50_000_000 })).toMatch(
      /larger than the manifest limit/,
    );
  });

  it('refuses the same bytes elsewhere (a sourceUri edited in the console): they would be another batch', () => {
    const elsewhere = { bucket: 'lab-manifests', key: 'fc/other.json' };
    expect(sourceMismatch(batch, elsewhere, { text, sizeBytes: text.length })).toMatch(
      /its sourceUri was edited/,
    );
  });
});
