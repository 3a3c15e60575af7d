import { readFile } from 'node:fs/promises';
import type { CliContext } from './context.js';
import { EXIT, usageError } from './exit-codes.js';
import { problemLines } from './format.js';

// The JSON documents `gwm workflows add` and `gwm teams add` read: a file read as text, and its
// problems listed before nothing is saved.

export async function readDocumentFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw usageError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

/** Prints why `file` is not a valid `kind` and returns the usage exit code. */
export function rejectDocument(
  ctx: Pick<CliContext, 'err'>,
  file: string,
  kind: string,
  problems: readonly { path: string; code: string; message: string }[],
): number {
  ctx.err(`${file} is not a valid ${kind} (${problems.length} problem(s)):`);
  for (const line of problemLines(problems.map((problem) => ({ ...problem, where: problem.path })))) {
    ctx.err(line);
  }
  ctx.err('Nothing was saved.');
  return EXIT.usage;
}
