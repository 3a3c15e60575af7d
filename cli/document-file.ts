import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { EXIT, notFoundError, usageError } from './exit-codes.js';
import { json, makeTable, problemLines } from './format.js';
import type { Target } from './target.js';

// The named JSON documents gwm keeps (workflow profiles, teams): `list` and `show`, and for `add`,
// a file read as text and its problems listed before nothing is saved.

interface DocumentListing<T extends { name: string }> {
  description: string;
  /** Help of `--json`. */
  jsonHelp: string;
  list: (target: Target) => Promise<T[]>;
  /** Lines printed when there is none. */
  empty: string[];
  columns: string[];
  row: (item: T) => string[];
}

/** `<group> list`: a table by name, or JSON with `--json`. */
export function addListCommand<T extends { name: string }>(
  group: Command,
  ctx: CliContext,
  listing: DocumentListing<T>,
): void {
  group
    .command('list')
    .description(listing.description)
    .option('--json', listing.jsonHelp)
    .action(
      ctx.action(async (options: { json?: boolean }, command: Command) => {
        const target = await ctx.target(command);
        const items = (await listing.list(target)).sort((a, b) => a.name.localeCompare(b.name));
        if (options.json) {
          ctx.io.stdout(json(items));
          return EXIT.ok;
        }
        if (items.length === 0) {
          for (const line of listing.empty) ctx.out(line);
          return EXIT.ok;
        }
        const table = makeTable(listing.columns, ctx.colors);
        for (const item of items) table.push(listing.row(item));
        ctx.out(table.toString());
        return EXIT.ok;
      }),
    );
}

interface DocumentShowing {
  description: string;
  /** Help of the `<name>` argument. */
  nameHelp: string;
  get: (target: Target, name: string) => Promise<unknown>;
  /** The error when no document has that name. */
  missing: (name: string) => string;
}

/** `<group> show <name>`: the document as JSON. */
export function addShowCommand(group: Command, ctx: CliContext, showing: DocumentShowing): void {
  group
    .command('show')
    .description(showing.description)
    .argument('<name>', showing.nameHelp)
    .action(
      ctx.action(async (name: string, _options: unknown, command: Command) => {
        const target = await ctx.target(command);
        const item = await showing.get(target, name);
        if (!item) throw notFoundError(showing.missing(name));
        ctx.io.stdout(json(item));
        return EXIT.ok;
      }),
    );
}

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
