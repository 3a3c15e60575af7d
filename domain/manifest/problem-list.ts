import { errorMessage } from '../errors.js';
import type { ManifestProblem, ManifestProblemCode, ManifestResult } from './types.js';

/** Where each top-level part comes in the document, for listing problems in reading order. */
const PART_RANK: Record<string, number> = {
  batch: 1,
  defaults: 2,
  samples: 3,
  flowcellSamples: 3,
  qc: 4,
  qcWorkflow: 4,
  notifications: 5,
  budget: 6,
};

/**
 * Problems grouped by the part they are in (top level, batch, defaults, each sample in turn,
 * QC, notifications), in the order found within a part: the order a person reads the file in.
 */
export function inDocumentOrder(problems: readonly ManifestProblem[]): ManifestProblem[] {
  const keyed = problems.map((item) => {
    const match = /^\$\.([A-Za-z]+)(?:\[(\d+)\])?/.exec(item.path);
    const rank = match?.[1] === undefined ? 0 : (PART_RANK[match[1]] ?? 0);
    return { item, rank, index: match?.[2] === undefined ? -1 : Number(match[2]) };
  });
  keyed.sort((a, b) => a.rank - b.rank || a.index - b.index);
  return keyed.map((entry) => entry.item);
}

export function problem(path: string, code: ManifestProblemCode, message: string): ManifestResult {
  return { ok: false, problems: [{ path, code, message }] };
}

export class ProblemList {
  readonly items: ManifestProblem[] = [];
  private readonly reported = new Set<string>();

  add(path: string, code: ManifestProblemCode, message: string): void {
    this.items.push({ path, code, message });
  }

  /** For a shared part (the defaults, a profile): reported once, however many samples use it. */
  once(key: string, path: string, code: ManifestProblemCode, message: string): void {
    const id = `${code}\u0000${path}\u0000${key}`;
    if (this.reported.has(id)) return;
    this.reported.add(id);
    this.add(path, code, message);
  }

  addAll(problems: readonly ManifestProblem[]): void {
    for (const item of problems) this.items.push(item);
  }
}

/**
 * A document given as JSON text or already parsed (a workflow profile, a team): parsed, with a
 * byte order mark from a Windows editor dropped, or the one problem that it is not JSON.
 */
export function jsonDocument(
  input: unknown,
): { ok: true; document: unknown } | { ok: false; problems: ManifestProblem[] } {
  if (typeof input !== 'string') return { ok: true, document: input };
  try {
    return { ok: true, document: JSON.parse(input.startsWith('\uFEFF') ? input.slice(1) : input) };
  } catch (error) {
    return {
      ok: false,
      problems: [{ path: '$', code: 'NOT_JSON', message: `not valid JSON: ${errorMessage(error)}` }],
    };
  }
}
