// Builds a run's parameters from its layers (profile template, profile defaults, manifest defaults,
// inputs, the run's own parameters) and renders their {{field}} references per sample or QC step.

import type { WorkflowProfile } from '../workflow.js';
import type { Checker } from './draft.js';
import {
  checkTemplateFields,
  childPath,
  hasTemplateReference,
  renderAt,
  type TemplateContext,
  type TemplateKind,
  templateReferences,
  visitStrings,
} from './template.js';
import { checkReadUri, checkRenderedUris, looksLikeS3 } from './uri-policy.js';

export interface Layer {
  entries: ReadonlyArray<{ key: string; value: unknown; path: string; render: boolean }>;
  keys: ReadonlySet<string>;
  /** True when the layer comes from the profile: its problems are reported at `reportAt`. */
  fromProfile?: { name: string; reportAt: string };
  ok: boolean;
}

const EMPTY_LAYER: Layer = { entries: [], keys: new Set(), ok: true };

function layerOf(parameters: Record<string, unknown> | undefined, basePath: string): Omit<Layer, 'ok'> {
  if (parameters === undefined) return EMPTY_LAYER;
  const entries = Object.entries(parameters).map(([key, value]) => {
    const path = childPath(basePath, key);
    return { key, value, path, render: templateReferences(value, path).length > 0 };
  });
  return { entries, keys: new Set(Object.keys(parameters)) };
}

/** A parameter layer written in the manifest: its template fields and S3 strings are checked. */
export function manifestLayer(
  checker: Checker,
  parameters: Record<string, unknown> | undefined,
  basePath: string,
  kind: TemplateKind,
): Layer {
  if (parameters === undefined) return EMPTY_LAYER;
  const unknownFields = checkTemplateFields(parameters, kind, basePath);
  for (const item of unknownFields)
    checker.problems.add(item.jsonPath, 'UNKNOWN_TEMPLATE_FIELD', item.message);
  // Strings with template references are checked once rendered (renderLayers).
  const uriChecks: boolean[] = [];
  for (const [key, parameter] of Object.entries(parameters)) {
    visitStrings(parameter, childPath(basePath, key), (value, path) => {
      if (looksLikeS3(value) && !hasTemplateReference(value)) {
        uriChecks.push(checkReadUri(checker, value, path, { as: 'parameter' }));
      }
    });
  }
  return { ...layerOf(parameters, basePath), ok: unknownFields.length === 0 && allPassed(uriChecks) };
}

/** The profile's two parameter layers, built once per place the manifest names the profile. */
export function profileLayers(
  checker: Checker,
  choice: { profile: WorkflowProfile; path: string },
): [Layer, Layer] {
  const key = `${choice.profile.name}\u0000${choice.path}`;
  let layers = checker.profileLayers.get(key);
  if (layers === undefined) {
    const { profile } = choice;
    const fromProfile = { name: profile.name, reportAt: choice.path };
    layers = [
      {
        ...layerOf(profile.parameterTemplate, 'parameterTemplate'),
        ok: true,
        fromProfile,
      },
      {
        ...layerOf(profile.defaults.parameters, 'defaults.parameters'),
        ok: true,
        fromProfile,
      },
    ];
    checker.profileLayers.set(key, layers);
  }
  return layers;
}

export function inputLayer(inputs: Record<string, string>): Layer {
  const entries = Object.entries(inputs).map(([key, value]) => ({ key, value, path: '', render: false }));
  return { entries, keys: new Set(Object.keys(inputs)), ok: true };
}

export interface LayerRenderOptions {
  /** Where the manifest names an input (a missing input is reported there). */
  inputPath: (name: string) => string;
  /** The sample rendered for, in problem messages (absent for the QC step). */
  sampleId?: string;
  /** Leave references the context has no value for in place: the QC step's sample outputs are known only at completion. */
  partial?: boolean;
}

/** True when every check passed (each has run already: their problems are all reported). */
export function allPassed(checks: readonly boolean[]): boolean {
  return checks.every(Boolean);
}

/**
 * Merges the layers (a later layer's key replaces an earlier one's) and renders what is left.
 * Only a missing input is reported here: unknown fields were reported when the layer was checked.
 */
export function renderLayers(
  checker: Checker,
  layers: readonly Layer[],
  context: TemplateContext,
  options: LayerRenderOptions,
): Record<string, unknown> | undefined {
  const { inputPath, sampleId, partial = false } = options;
  const parameters: Record<string, unknown> = {};
  let ok = true;
  layers.forEach((layer, index) => {
    const later = layers.slice(index + 1);
    for (const entry of layer.entries) {
      if (later.some((next) => next.keys.has(entry.key))) continue;
      if (!entry.render) {
        parameters[entry.key] = entry.value;
        continue;
      }
      const rendered = renderAt(entry.value, context, entry.path, { partial });
      if (rendered.ok) {
        // Undefined: an optional `{{sample.<input>?}}` for an input this sample does not have.
        if (rendered.value !== undefined) parameters[entry.key] = rendered.value;
        if (!checkRenderedUris(checker, layer, entry.path, rendered.value, context, sampleId)) ok = false;
        continue;
      }
      for (const item of rendered.problems) {
        if (item.reason !== 'missing-input' || item.input === undefined) continue;
        const where =
          layer.fromProfile === undefined
            ? item.jsonPath
            : `profile "${layer.fromProfile.name}" ${item.jsonPath}`;
        checker.problems.add(inputPath(item.input), 'UNKNOWN_TEMPLATE_FIELD', `${where}: ${item.message}`);
      }
      ok = false;
    }
  });
  return ok ? parameters : undefined;
}
