import type { WorkflowProfile } from '../workflow.js';
import { NATIVE_SCHEMA_VERSION } from './native-schema.js';
import { INPUT_NAME_PATTERN, templateReferences } from './template.js';
import type { ManifestProblem, ManifestProblemCode } from './types.js';

/**
 * nf-core style sample sheets (`sample,fastq_1,fastq_2`, one row per sample) read into a native
 * `gwm.manifest/v1` document, with the way back: a problem found in the document (a JSONPath such
 * as `$.samples[3].inputs.fastq1`) is told as the row and column a person edits ("row 5, column
 * fastq_1").
 *
 * Columns:
 * - `sample` (required): the sample id;
 * - `fastq_1` (required), `fastq_2` (optional, empty for single-end reads): inputs `fastq1` and
 *   `fastq2`, which templates name `{{sample.fastq1}}` and `{{sample.fastq2}}`;
 * - any other column holding an `s3:` value: an input of the column's name, usable in templates
 *   as `{{sample.<column>}}`;
 * - any other column: a workflow parameter of the column's name (its text, as written).
 * Empty cells are left out. Every sample runs the profile given for the sheet. A row without
 * fastq_2 is single-end: the profile parameters that name `{{sample.fastq2}}` are set to null for
 * it (see `parametersNamingInput`), as a manifest does for a single-end sample.
 */

export const SAMPLESHEET_COLUMNS = { sample: 'sample', fastq1: 'fastq_1', fastq2: 'fastq_2' } as const;
const REQUIRED_COLUMNS = [SAMPLESHEET_COLUMNS.sample, SAMPLESHEET_COLUMNS.fastq1] as const;
const FASTQ_INPUTS: Readonly<Record<string, string>> = {
  [SAMPLESHEET_COLUMNS.fastq1]: 'fastq1',
  [SAMPLESHEET_COLUMNS.fastq2]: 'fastq2',
};

export interface SampleSheetRow {
  /** Line of the file the row starts on (the header is line 1 in a sheet without blank lines). */
  line: number;
  cells: readonly string[];
}

export interface SampleSheet {
  header: readonly string[];
  /** Line of the header row; 1 unless the file starts with blank lines. */
  headerLine: number;
  rows: readonly SampleSheetRow[];
}

export interface SampleSheetOptions {
  /** Workflow profile every sample runs. */
  profile: string;
  /** Batch name. */
  name: string;
  /** Output URI for every run; without it, the profile's default output URI. */
  outputUri?: string;
  /** Workflow profile of a QC step over the batch. */
  qcProfile?: string;
  /** Parameters set to null for a row without fastq_2 (the profile's parameters that name it). */
  singleEndNullParameters?: readonly string[];
}

/** Where in the sheet (or which command-line option) a problem belongs. */
export interface SheetLocation {
  line?: number;
  column?: string;
  /** The column is not in the sheet at all (a template names an input the sheet lacks). */
  columnMissing?: boolean;
  option?: 'workflow' | 'output' | 'qc-workflow' | 'name';
}

export interface SheetProblem {
  location: SheetLocation;
  code: ManifestProblemCode;
  message: string;
  /** The JSONPath in the generated manifest, for problems found there. */
  path?: string;
}

interface SampleSource {
  line: number;
  /** Column of each input, by input name. */
  inputColumns: Map<string, string>;
}

export interface SampleSheetConversion {
  /** The native manifest; upload it as JSON. */
  document: Record<string, unknown>;
  /** Problems of the sheet itself (columns, empty cells), found before any manifest check. */
  problems: SheetProblem[];
  /** Row of each generated sample, by index in `document.samples`. */
  sources: readonly SampleSource[];
  header: readonly string[];
  headerLine: number;
  parameterColumns: ReadonlySet<string>;
}

type ColumnRole =
  | { kind: 'id' }
  | { kind: 'input'; input: string }
  | { kind: 'parameter'; parameter: string }
  | { kind: 'ignored' };

export function sampleSheetToManifest(
  sheet: SampleSheet,
  options: SampleSheetOptions,
): SampleSheetConversion {
  const problems: SheetProblem[] = [];
  const header = sheet.header.map((name) => name.trim());
  const headerAt = (column: string, code: ManifestProblemCode, message: string) =>
    problems.push({ location: { line: sheet.headerLine, column }, code, message });

  for (const required of REQUIRED_COLUMNS) {
    if (!header.includes(required)) {
      problems.push({
        location: { line: sheet.headerLine },
        code: 'SCHEMA',
        message: `the header has no "${required}" column (an nf-core sample sheet starts with sample,fastq_1,fastq_2)`,
      });
    }
  }

  const roles = header.map((name, index): ColumnRole => {
    const cells = sheet.rows.map((row) => (row.cells[index] ?? '').trim()).filter((cell) => cell !== '');
    if (header.indexOf(name) !== index) {
      if (name !== '' || cells.length > 0) {
        headerAt(name || `#${index + 1}`, 'SCHEMA', `column "${name}" appears more than once`);
      }
      return { kind: 'ignored' };
    }
    if (name === '') {
      if (cells.length > 0) {
        headerAt(`#${index + 1}`, 'SCHEMA', `column ${index + 1} holds values but has no name in the header`);
      }
      return { kind: 'ignored' };
    }
    if (name === SAMPLESHEET_COLUMNS.sample) return { kind: 'id' };
    const fastq = FASTQ_INPUTS[name];
    if (fastq !== undefined) return { kind: 'input', input: fastq };
    if (!cells.some((cell) => cell.toLowerCase().startsWith('s3:')))
      return { kind: 'parameter', parameter: name };
    if (!INPUT_NAME_PATTERN.test(name) || name === 'id' || Object.values(FASTQ_INPUTS).includes(name)) {
      headerAt(
        name,
        'SCHEMA',
        `column "${name}" holds S3 URIs, so it becomes an input named after it: an input name starts with a letter, has letters, digits and _ (at most 64), and is not id, fastq1 or fastq2`,
      );
      return { kind: 'ignored' };
    }
    return { kind: 'input', input: name };
  });

  const sources: SampleSource[] = [];
  const samples = sheet.rows.map((row) => {
    const at = (column: string, message: string) =>
      problems.push({ location: { line: row.line, column }, code: 'SCHEMA', message });
    const extra = row.cells.slice(header.length).filter((cell) => cell.trim() !== '');
    if (extra.length > 0) {
      problems.push({
        location: { line: row.line },
        code: 'SCHEMA',
        message: `the row has ${row.cells.length} cells; the header names ${header.length} columns`,
      });
    }
    const sample: {
      id?: string;
      inputs: Record<string, string>;
      parameters?: Record<string, string | null>;
    } = {
      inputs: {},
    };
    const inputColumns = new Map<string, string>();
    const parameters: Record<string, string | null> = {};
    if ((row.cells[header.indexOf(SAMPLESHEET_COLUMNS.fastq2)] ?? '').trim() === '') {
      for (const name of options.singleEndNullParameters ?? []) parameters[name] = null;
    }
    roles.forEach((role, index) => {
      const cell = (row.cells[index] ?? '').trim();
      const column = header[index] ?? '';
      if (role.kind === 'id') {
        if (cell === '') at(column, 'the sample name is empty');
        else sample.id = cell;
      } else if (role.kind === 'input') {
        inputColumns.set(role.input, column);
        if (cell !== '') sample.inputs[role.input] = cell;
        else if (column === SAMPLESHEET_COLUMNS.fastq1) at(column, 'the first FASTQ file is missing');
      } else if (role.kind === 'parameter' && cell !== '') {
        parameters[role.parameter] = cell;
      }
    });
    if (Object.keys(parameters).length > 0) sample.parameters = parameters;
    sources.push({ line: row.line, inputColumns });
    return sample;
  });

  if (sheet.rows.length === 0) {
    problems.push({
      location: { line: sheet.headerLine },
      code: 'SCHEMA',
      message: 'the sample sheet has a header but no samples',
    });
  }

  const document: Record<string, unknown> = {
    schemaVersion: NATIVE_SCHEMA_VERSION,
    batch: { name: options.name },
    defaults: {
      profile: options.profile,
      ...(options.outputUri !== undefined && { outputUri: options.outputUri }),
    },
    samples,
    ...(options.qcProfile !== undefined && { qc: { profile: options.qcProfile } }),
  };
  const parameterColumns = new Set(
    roles.flatMap((role) => (role.kind === 'parameter' ? [role.parameter] : [])),
  );
  return { document, problems, sources, header, headerLine: sheet.headerLine, parameterColumns };
}

/** A sample named by its JSONPath inside a message ("already used by sample 0 at $.samples[0]"). */
const SAMPLE_REFERENCE = /\$\.samples\[(\d+)\]/g;
/**
 * Top-level parameters of a profile (its template and its default parameters) whose value names
 * `{{sample.<input>}}`: the parameters a sample without that input must set itself. An optional
 * `{{sample.<input>?}}` is left out by itself.
 */
export function parametersNamingInput(profile: WorkflowProfile, input: string): string[] {
  const names = new Set<string>();
  for (const layer of [profile.parameterTemplate, profile.defaults.parameters ?? {}]) {
    for (const [name, value] of Object.entries(layer)) {
      const references = templateReferences(value);
      if (references.some((reference) => reference.path === `sample.${input}` && !reference.optional))
        names.add(name);
    }
  }
  return [...names];
}

const SAMPLE_PATH = /^\$\.samples\[(\d+)\](.*)$/;
const FIELD = /^\.(inputs|parameters)(?:\.([A-Za-z_$][A-Za-z0-9_$]*)|\['((?:[^'\\]|\\.)*)'\])?/;

/** Where a problem of the generated manifest (a JSONPath into it) is in the sheet. */
export function locateInSheet(conversion: SampleSheetConversion, path: string): SheetLocation {
  if (path.startsWith('$.defaults.outputUri')) return { option: 'output' };
  if (path.startsWith('$.defaults')) return { option: 'workflow' };
  if (path.startsWith('$.qc')) return { option: 'qc-workflow' };
  if (path.startsWith('$.batch')) return { option: 'name' };
  const match = SAMPLE_PATH.exec(path);
  const source = match === null ? undefined : conversion.sources[Number(match[1])];
  if (match === null || source === undefined) return {};
  const rest = match[2] ?? '';
  const row = { line: source.line };
  if (rest === '') return row;
  if (rest.startsWith('.id')) return { ...row, column: SAMPLESHEET_COLUMNS.sample };
  if (rest.startsWith('.outputUri')) return { option: 'output' };
  if (rest.startsWith('.profile')) return { option: 'workflow' };
  const field = FIELD.exec(rest);
  if (field === null) return row;
  const name = field[2] ?? field[3]?.replace(/\\(.)/g, '$1');
  if (field[1] === 'inputs') {
    if (name === undefined) return { ...row, column: SAMPLESHEET_COLUMNS.fastq1 };
    const column = source.inputColumns.get(name) ?? columnOfInput(name);
    return conversion.header.includes(column) ? { ...row, column } : { ...row, column, columnMissing: true };
  }
  if (name !== undefined && conversion.parameterColumns.has(name)) return { ...row, column: name };
  return row;
}

function columnOfInput(input: string): string {
  for (const [column, name] of Object.entries(FASTQ_INPUTS)) if (name === input) return column;
  return input;
}

/**
 * The sheet's own problems and the manifest's, each placed in the sheet; a manifest problem in a
 * cell the sheet already reported (an empty sample name) is left out, so each is told once.
 */
export function sheetProblems(
  conversion: SampleSheetConversion,
  manifestProblems: readonly ManifestProblem[],
): SheetProblem[] {
  const cellKey = (location: SheetLocation) =>
    location.line === undefined || location.column === undefined
      ? undefined
      : `${location.line}\n${location.column}`;
  const reported = new Set(conversion.problems.map((problem) => cellKey(problem.location)));
  const placed = manifestProblems
    .map(
      (problem): SheetProblem => ({
        ...problem,
        message: problem.message.replace(SAMPLE_REFERENCE, (text, index: string) => {
          const line = conversion.sources[Number(index)]?.line;
          return line === undefined ? text : `row ${line}`;
        }),
        location: locateInSheet(conversion, problem.path),
      }),
    )
    .filter((problem) => {
      const key = cellKey(problem.location);
      return key === undefined || !reported.has(key);
    });
  const all = [...conversion.problems, ...placed];
  // Options first, then rows in file order; within a row, the order found.
  return all
    .map((problem, index) => ({ problem, index }))
    .sort(
      (a, b) =>
        rank(a.problem.location) - rank(b.problem.location) ||
        (a.problem.location.line ?? 0) - (b.problem.location.line ?? 0) ||
        a.index - b.index,
    )
    .map((entry) => entry.problem);
}

function rank(location: SheetLocation): number {
  if (location.option !== undefined) return 0;
  return location.line === undefined ? 1 : 2;
}

const OPTION_NAMES: Record<NonNullable<SheetLocation['option']>, string> = {
  workflow: '--workflow',
  output: '--output',
  'qc-workflow': '--qc-workflow',
  name: '--name',
};

/** "row 5, column fastq_1", "option --workflow", "the sample sheet". */
export function describeSheetLocation(location: SheetLocation): string {
  if (location.option !== undefined) return `option ${OPTION_NAMES[location.option]}`;
  if (location.line === undefined) return 'the sample sheet';
  const row = `row ${location.line}`;
  if (location.column === undefined) return row;
  return `${row}, column ${location.column}${location.columnMissing ? ' (not in the sheet)' : ''}`;
}
