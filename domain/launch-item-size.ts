import type { Batch } from './batch.js';
import { MAX_ATTEMPTS_KEPT, STATUS_HISTORY_LIMIT } from './launch.js';
import { FAILURE_REASON_MAX, LOG_EXCERPT_MAX } from './launch-transitions.js';
import type { BatchPlan, ManifestProblem } from './manifest/types.js';
import { registeredLaunch } from './registration.js';

/** DynamoDB refuses an item over 400 KB (attribute names and values, as stored). */
export const DYNAMODB_ITEM_MAX_BYTES = 400 * 1024;

/**
 * What gwm may add to a launch after registration, each part at its bound: the previous
 * attempts (each with its failure reason), the status history, the failure reason, status
 * message, log excerpt and note of the current attempt, run ids, and the table's key and index
 * attributes. A launch registered within the rest can never grow past DynamoDB's limit.
 */
export const LAUNCH_ITEM_GROWTH_BYTES =
  MAX_ATTEMPTS_KEPT * (FAILURE_REASON_MAX + 512) +
  STATUS_HISTORY_LIMIT * 96 +
  3 * FAILURE_REASON_MAX +
  LOG_EXCERPT_MAX +
  2_048;

export const REGISTERED_LAUNCH_MAX_BYTES = DYNAMODB_ITEM_MAX_BYTES - LAUNCH_ITEM_GROWTH_BYTES;

/**
 * The size DynamoDB counts for an item: attribute names and string values in UTF-8 bytes,
 * numbers by their significant digits, 1 byte for a boolean or null, 3 bytes per list or map plus
 * 1 per element (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html).
 */
export function dynamoItemBytes(item: Record<string, unknown>): number {
  let total = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    total += utf8Bytes(name) + valueBytes(value);
  }
  return total;
}

function valueBytes(value: unknown): number {
  if (typeof value === 'string') return utf8Bytes(value);
  if (typeof value === 'number') {
    const digits = String(Math.abs(value)).replace(/^0+|[.]|e.*$/gi, '').length;
    return Math.min(21, Math.ceil(digits / 2) + 1);
  }
  if (typeof value === 'boolean' || value === null) return 1;
  if (Array.isArray(value)) {
    let total = 3;
    for (const item of value) total += 1 + valueBytes(item ?? null);
    return total;
  }
  if (typeof value === 'object') {
    let total = 3;
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      total += 1 + utf8Bytes(key) + valueBytes(item);
    }
    return total;
  }
  return utf8Bytes(String(value));
}

function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * A problem for every sample whose launch item, as registration would write it, leaves less room
 * than gwm needs later: caught at intake, before anything is written, rather than as a write
 * DynamoDB refuses halfway through the registration.
 */
export function oversizedSamples(
  batch: Pick<Batch, 'batchId' | 'name' | 'createdAt'>,
  plan: BatchPlan,
): ManifestProblem[] {
  const part = plan.format === 'seed' ? 'flowcellSamples' : 'samples';
  const problems: ManifestProblem[] = [];
  plan.samples.forEach((spec, index) => {
    const bytes = dynamoItemBytes(registeredLaunch(batch, spec) as unknown as Record<string, unknown>);
    if (bytes <= REGISTERED_LAUNCH_MAX_BYTES) return;
    problems.push({
      path: `$.${part}[${index}]`,
      code: 'SAMPLE_TOO_LARGE',
      message: `sample "${spec.sampleId}" makes a launch item of ${bytes} bytes; a sample may take at most ${REGISTERED_LAUNCH_MAX_BYTES} bytes (DynamoDB's 400 KB item limit, less ${LAUNCH_ITEM_GROWTH_BYTES} bytes kept for its attempts and status history): keep large values in S3 and pass their URIs`,
    });
  });
  return problems;
}
