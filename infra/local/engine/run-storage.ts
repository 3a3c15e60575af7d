import { writeFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { storageUseOf } from '../../../domain/cost/run-manifest.js';
import type { RunStorageUse } from '../../../domain/cost/types.js';
import type { RunManifestReader } from '../../../domain/ports.js';
import { readTextIfExists } from '../read-if-exists.js';
import type { LocalRun } from './types.js';

/** A run's manifest in its folder: the records HealthOmics writes to `manifest/run/<id>/<uuid>`, one per line. */
export const RUN_MANIFEST_FILE = 'run-manifest.jsonl';
const GIB = 1024 ** 3;
const SAMPLE_EVERY_MS = 200;

export interface StorageSampler {
  /** Takes a last sample and gives the run's use: the most it held and its time-weighted average. */
  stop(): Promise<RunStorageUse>;
}

/**
 * Measures the storage a running program uses, as HealthOmics measures a run's dynamic storage:
 * the bytes under the run's folder, sampled while it runs; the average is weighted by time.
 */
export function sampleStorage(dir: string, everyMs = SAMPLE_EVERY_MS): StorageSampler {
  const startedAt = Date.now();
  let last = { at: startedAt, bytes: 0 };
  let byteMs = 0;
  let maximum = 0;
  let busy: Promise<void> = Promise.resolve();
  const sample = () => {
    busy = busy.then(async () => {
      const bytes = await bytesUnder(dir);
      const at = Date.now();
      // Trapezoids between samples: the use is taken to change steadily from one to the next.
      byteMs += ((last.bytes + bytes) / 2) * (at - last.at);
      last = { at, bytes };
      maximum = Math.max(maximum, bytes);
    });
  };
  const timer = setInterval(sample, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      sample();
      await busy;
      const elapsed = last.at - startedAt;
      const average = elapsed > 0 ? byteMs / elapsed : last.bytes;
      return { averageGiB: average / GIB, maximumGiB: maximum / GIB };
    },
  };
}

/** Bytes of every file under `dir` (0 for a folder that is gone or being changed). */
async function bytesUnder(dir: string): Promise<number> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await bytesUnder(path);
    else if (entry.isFile())
      total += await stat(path).then(
        (info) => info.size,
        () => 0,
      );
  }
  return total;
}

/**
 * Writes the run's manifest as HealthOmics does when a run ends: the run's record (with its storage
 * figures when known) first, then one record per task. Synchronous: it is on disk before the run's
 * terminal event leaves.
 */
export function writeRunManifest(run: LocalRun): void {
  const iso = (date: Date | undefined) => date?.toISOString();
  const storage = run.storageUse;
  const records = [
    {
      arn: run.arn,
      uuid: run.uuid,
      name: run.name,
      workflow: `arn:aws:omics:${run.arn.split(':')[3]}:${run.arn.split(':')[4]}:workflow/${run.workflowId}`,
      status: run.status,
      storageType: run.storageType ?? 'STATIC',
      storageCapacity: run.storageCapacity,
      creationTime: iso(run.creationTime),
      startTime: iso(run.startTime),
      stopTime: iso(run.stopTime),
      metrics: {
        ...(storage?.maximumGiB === undefined ? {} : { storageMaximumGiB: storage.maximumGiB }),
        ...(storage?.averageGiB === undefined ? {} : { storageAverageGiB: storage.averageGiB }),
      },
    },
    ...(run.tasks ?? []).map((task) => ({
      arn: `${run.arn.replace(/:run\/\d+$/, '')}:task/${task.taskId}`,
      name: task.name,
      status: task.status,
      cpus: task.cpus,
      memory: task.memoryGiB,
      gpus: task.gpus,
      instanceType: task.instanceType,
      creationTime: iso(task.creationTime),
      startTime: iso(task.startTime),
      stopTime: iso(task.stopTime),
    })),
  ];
  writeFileSync(
    join(run.runDir, RUN_MANIFEST_FILE),
    `${records.map((record) => JSON.stringify(record)).join('\n')}\n`,
  );
}

/** Reads run manifests from the runs' folders, as the CloudWatch reader reads them on AWS. */
export function makeLocalRunManifestReader(runsDir: string): RunManifestReader {
  return {
    async storageUse(runId, runUuid) {
      if (!/^\d+$/.test(runId)) return undefined;
      const text = await readTextIfExists(join(runsDir, runId, RUN_MANIFEST_FILE));
      if (text === undefined) return undefined;
      const lines = text.split('\n').filter((line) => line.trim() !== '');
      // The manifest of another run of the same id (a folder reused) is not this run's.
      const first = lines[0] === undefined ? undefined : (JSON.parse(lines[0]) as { uuid?: string });
      if (runUuid !== undefined && first?.uuid !== undefined && first.uuid !== runUuid) return undefined;
      return storageUseOf(lines, runId);
    },
  };
}
