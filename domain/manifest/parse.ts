// Manifest intake: tells the uploaded format apart, reads it and resolves it into a BatchPlan, or
// returns every problem it has in document order.

import { errorMessage } from '../errors.js';
import { isRecord } from '../is-record.js';
import type { ManifestReader } from './draft.js';
import { inDocumentOrder, ProblemList, problem } from './problem-list.js';
import { readNative } from './read-native.js';
import { readSeed } from './read-seed.js';
import { buildPlan } from './resolve-plan.js';
import type { ManifestContext, ManifestFormat, ManifestResult } from './types.js';

const READERS: Record<ManifestFormat, ManifestReader> = { 'native-v1': readNative, seed: readSeed };

/**
 * Reads an uploaded manifest (native `gwm.manifest/v1` or the seed format) into a BatchPlan, or
 * lists every problem it has, each at its JSONPath. Nothing is thrown for bad input.
 *
 * Settings of a run resolve as: the sample's (or QC's) own field > the manifest's `defaults` >
 * the profile's defaults > built-ins (storageType DYNAMIC). Parameters are layered, later keys
 * replacing earlier ones (shallow, by top-level parameter name):
 * - with a profile: profile parameterTemplate, profile defaults.parameters, manifest
 *   defaults.parameters, sample parameters;
 * - without one: manifest defaults.parameters, the sample's inputs by name, sample parameters.
 * String values of every layer may hold {{field}} references (see template.ts); they are
 * rendered per sample. QC parameters are rendered except batch.sampleOutputUris, which is only
 * known when the samples have finished.
 */
export function parseManifest(
  input: { text: string; sizeBytes: number },
  ctx: ManifestContext,
): ManifestResult {
  const { maxBytes } = ctx.limits;
  // A string has at most as many UTF-16 units as UTF-8 bytes, so the length check is a cheap
  // guard against a caller that passes a wrong size.
  if (input.sizeBytes > maxBytes || input.text.length > maxBytes) {
    const size = Math.max(input.sizeBytes, input.text.length);
    return problem('$', 'TOO_LARGE', `the manifest is ${size} bytes; the limit is ${maxBytes} bytes`);
  }

  let document: unknown;
  try {
    // Editors on Windows like to start UTF-8 files with a byte order mark; JSON.parse does not.
    document = JSON.parse(input.text.startsWith('\uFEFF') ? input.text.slice(1) : input.text);
  } catch (error) {
    return problem('$', 'NOT_JSON', `the manifest is not valid JSON: ${errorMessage(error)}`);
  }

  if (!isRecord(document) || !('schemaVersion' in document || 'flowcellSamples' in document)) {
    return problem(
      '$',
      'UNKNOWN_FORMAT',
      'expected a JSON object with "schemaVersion": "gwm.manifest/v1" (gwm format) or "flowcellSamples" (seed format)',
    );
  }

  const problems = new ProblemList();
  const format: ManifestFormat = 'schemaVersion' in document ? 'native-v1' : 'seed';
  const draft = READERS[format](document, ctx, problems);
  const plan = buildPlan(draft, ctx, problems);
  if (plan === undefined) {
    return {
      ok: false,
      format,
      name: draft.name,
      notifications: draft.notifications,
      problems: inDocumentOrder(problems.items),
    };
  }
  return { ok: true, plan };
}
