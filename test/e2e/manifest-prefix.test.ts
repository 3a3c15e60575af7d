import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notice } from '../../domain/notifications.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { startTempStack, stopTempStack } from '../support/e2e-stack.js';

describe('the embedded runtime with a manifest prefix', () => {
  let stack: LocalStack;
  let stateDir: string;
  const notices: Notice[] = [];

  beforeAll(async () => {
    ({ stack, stateDir } = await startTempStack('gwm-e2e-prefix-', {
      persist: false,
      settings: { MANIFEST_PREFIX: 'run/' },
      onNotice: (notice) => notices.push(notice),
    }));
  });
  afterAll(() => stopTempStack(stack, stateDir));

  it('takes run/FLOWCELL.CSV, in upper case, and nothing outside run/ or not named like a manifest', async () => {
    // Prepare: documents the intake rejects (no samples), so each one taken leaves a notice
    const { manifestBucket } = stack.endpoints;
    const upload = (key: string) =>
      stack.s3.send(
        new PutObjectCommand({ Bucket: manifestBucket, Key: key, Body: '{"flowcellSamples": []}' }),
      );

    // Act
    await upload('run/FLOWCELL.CSV');
    await upload('other/FLOWCELL.CSV');
    await upload('FLOWCELL.json');
    await upload('run/notes.txt');
    await stack.settle();

    // Assess
    const taken = notices.flatMap((notice) =>
      notice.kind === 'manifest-rejected' ? [notice.sourceUri] : [],
    );
    expect(taken).toEqual([`s3://${manifestBucket}/run/FLOWCELL.CSV`]);
  });
});
