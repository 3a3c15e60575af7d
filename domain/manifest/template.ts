/**
 * Parameter templates: string values may hold `{{path}}` references to manifest fields.
 *
 * Fields a template may name:
 * - `sample.id`, `sample.<inputName>`: the sample and any of its inputs (sample templates);
 * - `qc.<inputName>`: an input of the QC step (QC templates);
 * - `batch.id`, `batch.name`, `launch.outputUri`: both kinds;
 * - `batch.sampleOutputUris`: QC templates only; an array known when the samples have finished.
 * - `batch.sampleOutputsListUri`: QC templates only; the S3 URI of a text file gwm writes before
 *   the QC run starts, one sample output URI per line (for batches whose list would not fit in a
 *   run's parameters).
 *
 * A string that is exactly one reference becomes the field's raw value (an array stays an
 * array); a reference inside a longer string is interpolated (arrays joined with `,`).
 *
 * A whole-value reference ending in `?` (`"reads2": "{{sample.fastq2?}}"`) is optional: when the
 * sample or QC step has no such input, the key (or array element) is left out instead of being
 * an error.
 */

export type TemplateKind = 'sample' | 'qc';

export interface TemplateReference {
  /** The field named, e.g. `sample.fastq1`. */
  path: string;
  /** Where the reference sits, e.g. `$.parameters.reads[0]`. */
  jsonPath: string;
  /** A whole-value `{{field?}}`: left out when the input is missing. */
  optional?: boolean;
}

export interface TemplateProblem extends TemplateReference {
  /**
   * unknown-field: not a field templates know (for this kind);
   * missing-input: a `sample.<name>`/`qc.<name>` input the sample or QC step does not have;
   * unavailable: a known field this rendering has no value for.
   */
  reason: 'unknown-field' | 'missing-input' | 'unavailable';
  /** Input name, for missing-input. */
  input?: string;
  message: string;
}

export interface TemplateContext {
  sample?: { id: string; inputs: Readonly<Record<string, string>> };
  qc?: { inputs: Readonly<Record<string, string>> };
  batch?: {
    id?: string;
    name?: string;
    sampleOutputUris?: readonly string[];
    sampleOutputsListUri?: string;
  };
  launch?: { outputUri?: string };
}

export interface RenderOptions {
  /** Leave references that the context has no value for in place instead of reporting them. */
  partial?: boolean;
}

export type RenderResult<T> = { ok: true; value: T } | { ok: false; problems: TemplateProblem[] };

const REFERENCE = /\{\{\s*([^{}]*?)\s*\}\}/g;
const WHOLE_REFERENCE = /^\{\{\s*([^{}]*?)\s*\}\}$/;
const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
/** Input names double as template field names and workflow parameter names. */
export const INPUT_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Appends a key or index to a JSONPath: `.name`, `['odd key']` or `[3]`. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (IDENTIFIER.test(key)) return `${parent}.${key}`;
  return `${parent}['${key.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}']`;
}

/** JSONPath of a path given as keys and indexes, starting at `$`. */
export function jsonPathOf(segments: readonly PropertyKey[], root = '$'): string {
  let path = root;
  for (const segment of segments) {
    path = childPath(path, typeof segment === 'number' ? segment : String(segment));
  }
  return path;
}

export function hasTemplateReference(value: string): boolean {
  return value.includes('{{');
}

/** Every `{{path}}` reference in the string values of `template`, recursively. */
export function templateReferences(template: unknown, rootPath = '$'): TemplateReference[] {
  const references: TemplateReference[] = [];
  visitStrings(template, rootPath, (value, jsonPath) => {
    if (!hasTemplateReference(value)) return;
    const optional = optionalWhole(value);
    if (optional !== undefined) {
      references.push({ path: optional, jsonPath, optional: true });
      return;
    }
    for (const match of value.matchAll(REFERENCE)) references.push({ path: match[1] ?? '', jsonPath });
  });
  return references;
}

/** The field of a whole-value optional reference (`{{sample.fastq2?}}` -> `sample.fastq2`). */
function optionalWhole(value: string): string | undefined {
  const path = WHOLE_REFERENCE.exec(value)?.[1];
  if (path === undefined || !path.endsWith('?')) return undefined;
  return path.slice(0, -1).trimEnd();
}

/** Left out of the object or array it is in. */
const OMIT: unique symbol = Symbol('omit');

type FieldClass = { ok: true; kinds: readonly TemplateKind[] } | { ok: false; message: string };

const BOTH: readonly TemplateKind[] = ['sample', 'qc'];
const SAMPLE_ONLY: readonly TemplateKind[] = ['sample'];
const QC_ONLY: readonly TemplateKind[] = ['qc'];

// Templates repeat the same few fields for every sample; bounded so that odd input cannot grow it.
const classified = new Map<string, FieldClass>();
const CLASSIFIED_MAX = 1000;

/** Which template kinds know `path`, or why none does. */
export function classifyTemplateField(path: string): FieldClass {
  const known = classified.get(path);
  if (known !== undefined) return known;
  const field = classify(path);
  if (classified.size < CLASSIFIED_MAX) classified.set(path, field);
  return field;
}

function classify(path: string): FieldClass {
  if (path.endsWith('?')) {
    return {
      ok: false,
      message: `{{${path}}}: an optional reference must be the whole value, as in "reads2": "{{sample.fastq2?}}"`,
    };
  }
  if (!FIELD_PATH.test(path)) {
    return { ok: false, message: `"{{${path}}}" is not a field path such as sample.id` };
  }
  const [root, field, ...rest] = path.split('.');
  const tooDeep = rest.length > 0;
  switch (root) {
    case 'sample':
      if (field === undefined) {
        return { ok: false, message: 'name a field of sample: sample.id or sample.<input>' };
      }
      if (tooDeep || !INPUT_NAME_PATTERN.test(field)) return unknownField(path, 'sample.id, sample.<input>');
      return { ok: true, kinds: SAMPLE_ONLY };
    case 'qc':
      if (field === undefined || tooDeep || !INPUT_NAME_PATTERN.test(field)) {
        return unknownField(path, 'qc.<input>');
      }
      return { ok: true, kinds: QC_ONLY };
    case 'batch':
      if (!tooDeep && (field === 'id' || field === 'name')) return { ok: true, kinds: BOTH };
      if (!tooDeep && (field === 'sampleOutputUris' || field === 'sampleOutputsListUri'))
        return { ok: true, kinds: QC_ONLY };
      return unknownField(path, 'batch.id, batch.name, batch.sampleOutputUris, batch.sampleOutputsListUri');
    case 'launch':
      if (!tooDeep && field === 'outputUri') return { ok: true, kinds: BOTH };
      return unknownField(path, 'launch.outputUri');
    default:
      return {
        ok: false,
        message: `unknown template root "${root}" in {{${path}}} (known: sample, qc, batch, launch)`,
      };
  }
}

function unknownField(path: string, known: string): FieldClass {
  return { ok: false, message: `unknown template field {{${path}}} (known: ${known})` };
}

/**
 * Checks the fields a template names without rendering it: every reference must be known to
 * templates of `kind`. Sample inputs cannot be checked here; rendering reports a missing one.
 */
export function checkTemplateFields(
  template: unknown,
  kind: TemplateKind,
  rootPath = '$',
): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  for (const reference of templateReferences(template, rootPath)) {
    const field = classifyTemplateField(reference.path);
    if (!field.ok) {
      problems.push({ ...reference, reason: 'unknown-field', message: field.message });
    } else if (!field.kinds.includes(kind)) {
      problems.push({
        ...reference,
        reason: 'unknown-field',
        message: `{{${reference.path}}} is only known to ${field.kinds[0]} templates, not ${kind} templates`,
      });
    }
  }
  return problems;
}

/**
 * Renders every reference in `template` from `context`. Arrays and objects are copied; values
 * without references are kept as they are.
 */
export function renderTemplate<T>(
  template: T,
  context: TemplateContext,
  options: RenderOptions = {},
): RenderResult<T> {
  return renderAt(template, context, '$', options);
}

/** `renderTemplate` with problems located under `rootPath`. */
export function renderAt<T>(
  template: T,
  context: TemplateContext,
  rootPath: string,
  options: RenderOptions = {},
): RenderResult<T> {
  const problems: TemplateProblem[] = [];
  const rendered = renderValue(template, rootPath, { context, partial: options.partial === true, problems });
  // A template that is one optional reference to a missing input renders to nothing.
  const value = (rendered === OMIT ? undefined : rendered) as T;
  return problems.length === 0 ? { ok: true, value } : { ok: false, problems };
}

/** One rendering: its context, whether references it has no value for stay in place, and what it found wrong. */
interface Rendering {
  context: TemplateContext;
  partial: boolean;
  problems: TemplateProblem[];
}

function renderValue(value: unknown, jsonPath: string, rendering: Rendering): unknown {
  if (typeof value === 'string') return renderString(value, jsonPath, rendering);
  if (Array.isArray(value)) {
    return value
      .map((item, index) => renderValue(item, childPath(jsonPath, index), rendering))
      .filter((item) => item !== OMIT);
  }
  if (value !== null && typeof value === 'object') {
    const rendered: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const next = renderValue(item, childPath(jsonPath, key), rendering);
      if (next !== OMIT) rendered[key] = next;
    }
    return rendered;
  }
  return value;
}

function renderString(value: string, jsonPath: string, rendering: Rendering): unknown {
  const { context, partial, problems } = rendering;
  if (!hasTemplateReference(value)) return value;
  const whole = WHOLE_REFERENCE.exec(value);
  if (whole !== null) {
    const optional = optionalWhole(value);
    const path = optional ?? whole[1] ?? '';
    const resolved = resolveField(path, context, jsonPath);
    if (resolved.ok) return resolved.value;
    if (optional !== undefined && resolved.problem.reason === 'missing-input') return OMIT;
    if (!(partial && resolved.problem.reason === 'unavailable')) problems.push(resolved.problem);
    return value;
  }
  return value.replace(REFERENCE, (text, path: string) => {
    const resolved = resolveField(path, context, jsonPath);
    if (resolved.ok) return Array.isArray(resolved.value) ? resolved.value.join(',') : String(resolved.value);
    if (!(partial && resolved.problem.reason === 'unavailable')) problems.push(resolved.problem);
    return text;
  });
}

type Resolved = { ok: true; value: unknown } | { ok: false; problem: TemplateProblem };

function resolveField(path: string, context: TemplateContext, jsonPath: string): Resolved {
  const field = classifyTemplateField(path);
  if (!field.ok) {
    return { ok: false, problem: { path, jsonPath, reason: 'unknown-field', message: field.message } };
  }
  const unavailable: Resolved = {
    ok: false,
    problem: { path, jsonPath, reason: 'unavailable', message: `{{${path}}} has no value here` },
  };
  const dot = path.indexOf('.');
  const root = path.slice(0, dot);
  const name = path.slice(dot + 1);
  switch (root) {
    case 'sample': {
      if (context.sample === undefined) return unavailable;
      if (name === 'id') return { ok: true, value: context.sample.id };
      return inputValue(context.sample.inputs, name, path, jsonPath, `sample "${context.sample.id}"`);
    }
    case 'qc':
      if (context.qc === undefined) return unavailable;
      return inputValue(context.qc.inputs, name, path, jsonPath, 'the QC step');
    case 'batch': {
      const value =
        name === 'id'
          ? context.batch?.id
          : name === 'name'
            ? context.batch?.name
            : name === 'sampleOutputsListUri'
              ? context.batch?.sampleOutputsListUri
              : context.batch?.sampleOutputUris;
      return value === undefined ? unavailable : { ok: true, value };
    }
    default: {
      const value = context.launch?.outputUri;
      return value === undefined ? unavailable : { ok: true, value };
    }
  }
}

function inputValue(
  inputs: Readonly<Record<string, string>>,
  name: string,
  path: string,
  jsonPath: string,
  owner: string,
): Resolved {
  if (Object.hasOwn(inputs, name)) return { ok: true, value: inputs[name] };
  return {
    ok: false,
    problem: {
      path,
      jsonPath,
      reason: 'missing-input',
      input: name,
      message: `{{${path}}} names input "${name}", which ${owner} does not have`,
    },
  };
}

/** Calls `visit` for every string value inside `value`, with its JSONPath. */
export function visitStrings(
  value: unknown,
  jsonPath: string,
  visit: (value: string, jsonPath: string) => void,
): void {
  if (typeof value === 'string') {
    visit(value, jsonPath);
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => {
      visitStrings(item, childPath(jsonPath, index), visit);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) visitStrings(item, childPath(jsonPath, key), visit);
  }
}
