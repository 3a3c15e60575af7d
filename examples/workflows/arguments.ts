import { parseArgs } from 'node:util';
import { errorMessage } from '../../domain/errors.js';
import { UsageError } from './s3-io.js';

/**
 * A workflow's command line: `--name value` options only, each a string, as the catalog's argv
 * gives them. `required` names an option that must be there and not blank; a mistake is a
 * UsageError that ends with the usage.
 */
export function parseOptions(argv: string[], names: readonly string[], usage: string) {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])),
    }) as { values: Record<string, string | undefined> });
  } catch (error) {
    throw new UsageError(`${errorMessage(error)}; ${usage}`, { cause: error });
  }
  const required = (name: string): string => {
    const value = values[name];
    if (value === undefined || value.trim() === '') throw new UsageError(`--${name} is required; ${usage}`);
    return value;
  };
  return { values, required };
}
