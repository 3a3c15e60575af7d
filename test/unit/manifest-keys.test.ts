import { describe, expect, it } from 'vitest';
import { ManifestGoneError } from '../../domain/errors.js';
import type { ManifestObjectReader } from '../../domain/ports.js';
import { makeMemoryTelemetry } from '../../functions/adapters/telemetry.js';
import { isManifestKey, manifestCreatedPattern } from '../../functions/event-sources.js';
import {
  type IntakeHandlerDeps,
  makeIntakeHandler,
  type S3ObjectCreatedEvent,
} from '../../functions/intake.js';
import { compilePattern } from '../../infra/local/events/event-pattern.js';

/** S3's `Object Created` event on EventBridge, as an existing bucket with EventBridge notifications sends it. */
function objectCreated(bucket: string, key: string): S3ObjectCreatedEvent {
  return {
    source: 'aws.s3',
    'detail-type': 'Object Created',
    detail: {
      bucket: { name: bucket },
      object: { key, etag: 'e7a1', 'version-id': 'v1' },
      requester: '123456789012',
    },
  };
}

/** An intake whose reader records what it was asked to read (each object is already gone). */
function recordingIntake(manifestPrefix: string) {
  const reads: Array<{ bucket: string; key: string; versionId?: string }> = [];
  const objects: ManifestObjectReader = {
    read: async (bucket, key, options) => {
      reads.push({ bucket, key, versionId: options.versionId });
      throw new ManifestGoneError(`s3://${bucket}/${key} is gone`);
    },
  };
  const deps = {
    intake: { limits: { maxBytes: 1_000_000, maxSamples: 10 }, restores: {} },
    objects,
    telemetry: makeMemoryTelemetry({ logLevel: 'SILENT' }),
    newOwner: () => 'owner-1',
    notifier: { send: async () => undefined },
    manifestPrefix,
  } as unknown as IntakeHandlerDeps;
  return { handler: makeIntakeHandler(deps), reads };
}

describe('manifest keys', () => {
  it('takes .json, .csv and .tsv names in any case, under the prefix only', () => {
    // Act & Assess
    expect(isManifestKey('run/FLOWCELL.CSV', 'run/')).toBe(true);
    expect(isManifestKey('run/a/b.Tsv', 'run/')).toBe(true);
    expect(isManifestKey('run/HK3H3BBXY.json', 'run/')).toBe(true);
    expect(isManifestKey('other/FLOWCELL.CSV', 'run/')).toBe(false);
    expect(isManifestKey('RUN/FLOWCELL.CSV', 'run/')).toBe(false);
    expect(isManifestKey('run/notes.txt', 'run/')).toBe(false);
    expect(isManifestKey('run/sheet.csv.bak', 'run/')).toBe(false);
    expect(isManifestKey('anywhere/FC.JSON')).toBe(true);
  });

  it('routes an existing bucket’s manifest events in any case, as the local router matches them', () => {
    // Prepare
    const matches = compilePattern(manifestCreatedPattern('lims-drop'));
    // Act & Assess
    expect(matches(objectCreated('lims-drop', 'run/FLOWCELL.CSV'))).toBe(true);
    expect(matches(objectCreated('lims-drop', 'run/x.Tsv'))).toBe(true);
    expect(matches(objectCreated('lims-drop', 'run/x.json'))).toBe(true);
    expect(matches(objectCreated('lims-drop', 'run/R1.fastq.gz'))).toBe(false);
    expect(matches(objectCreated('elsewhere', 'run/FLOWCELL.CSV'))).toBe(false);
    expect(
      matches({ ...objectCreated('lims-drop', 'run/FLOWCELL.CSV'), 'detail-type': 'Object Deleted' }),
    ).toBe(false);
  });

  it('reads a manifest an EventBridge event tells about, and nothing outside the prefix', async () => {
    // Prepare
    const { handler, reads } = recordingIntake('run/');
    // Act
    await handler(objectCreated('lims-drop', 'run/FLOWCELL.CSV'));
    await handler(objectCreated('lims-drop', 'other/FLOWCELL.CSV'));
    await handler(objectCreated('lims-drop', 'run/R1.fastq.gz'));
    // Assess
    expect(reads).toEqual([{ bucket: 'lims-drop', key: 'run/FLOWCELL.CSV', versionId: 'v1' }]);
  });

  it('decodes an EventBridge key as it decodes a notification’s', async () => {
    // Prepare
    const { handler, reads } = recordingIntake('');
    // Act
    await handler(objectCreated('lims-drop', 'run/flow+cell+%281%29.json'));
    // Assess
    expect(reads.map((read) => read.key)).toEqual(['run/flow cell (1).json']);
  });
});
