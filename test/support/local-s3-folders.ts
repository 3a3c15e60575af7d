import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import type { LocalS3 } from '../../infra/local/s3/s3.js';

/**
 * A temporary folder for a test file's local S3s, removed after the file, a fresh sub-folder per
 * server, and every server `track`ed stopped after each test. Call at the top of the file.
 */
export function localS3Folders(prefix: string) {
  const workDir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rm(workDir, { recursive: true, force: true }));
  let folders = 0;
  const running: LocalS3[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s3) => s3.stop()));
  });
  return {
    workDir,
    freshDir: () => join(workDir, `s3-${++folders}`),
    /** Stops `s3` after the test (unless the test stopped it and called `untrack`). */
    track(s3: LocalS3): LocalS3 {
      running.push(s3);
      return s3;
    },
    untrack(s3: LocalS3): void {
      const at = running.indexOf(s3);
      if (at !== -1) running.splice(at, 1);
    },
  };
}
