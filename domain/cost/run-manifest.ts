/**
 * A HealthOmics run manifest: the JSON records HealthOmics writes when a run ends, one per
 * resource (the run first, then each task), to the log stream `manifest/run/<id>/<uuid>` of
 * `/aws/omics/WorkflowLog`. The run's record carries `metrics` with what the run used, among them
 * `storageMaximumGiB` and `storageAverageGiB`: DYNAMIC run storage is billed on the average.
 */

import { isRecord } from '../is-record.js';
import type { RunStorageUse } from './types.js';

/** The log stream of a run's manifest. */
export function runManifestStream(runId: string, runUuid: string): string {
  return `manifest/run/${runId}/${runUuid}`;
}

/**
 * The storage the run used, from the manifest's records (objects or JSON text): the record whose
 * ARN is the run's (`...:run/<id>`). Undefined when there is no record of the run; an empty use
 * when the record reports no storage figures.
 */
export function storageUseOf(records: readonly unknown[], runId: string): RunStorageUse | undefined {
  for (const entry of records) {
    const record = typeof entry === 'string' ? parse(entry) : entry;
    if (!isRecord(record) || typeof record.arn !== 'string') continue;
    if (!record.arn.endsWith(`:run/${runId}`)) continue;
    const metrics = isRecord(record.metrics) ? record.metrics : {};
    const averageGiB = figure(metrics.storageAverageGiB);
    const maximumGiB = figure(metrics.storageMaximumGiB);
    return {
      ...(averageGiB === undefined ? {} : { averageGiB }),
      ...(maximumGiB === undefined ? {} : { maximumGiB }),
    };
  }
  return undefined;
}

function figure(value: unknown): number | undefined {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) && number >= 0 ? number : undefined;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not every line of a log stream need be a record.
    return undefined;
  }
}
