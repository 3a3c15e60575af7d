import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVICE_NAMES } from '../../functions/service-names.js';
import { functionEntries } from '../../infra/function-bundling.js';

const root = resolve(import.meta.dirname, '../..');

/** The rows of the README's table of functions: each cell's `code` spans, by column. */
function functionRows(): string[][][] {
  const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
  const section = readme.split('### The functions, one name each')[1]?.split('\n## ')[0] ?? '';
  return section
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| function') && !line.startsWith('| ---'))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1] as string)),
    );
}

const FOLDERS = [
  'functions',
  'functions/lambda',
  'domain/use-cases',
  'functions/dependencies',
  'infra/constructs',
];

describe("the README's table of functions", () => {
  it('names a file that exists in each layer, and the service each function publishes under', () => {
    // Prepare
    const rows = functionRows();
    // Assess
    expect(rows).toHaveLength(Object.keys(SERVICE_NAMES).length);
    for (const [
      ,
      handler = [],
      entry = [],
      useCase = [],
      wiring = [],
      construct = [],
      service = [],
    ] of rows) {
      const files = [handler, entry, useCase, wiring, construct.slice(-1)];
      files.forEach((names, column) => {
        for (const name of names)
          expect(existsSync(resolve(root, FOLDERS[column] as string, name)), name).toBe(true);
      });
      expect(Object.values(SERVICE_NAMES)).toContain(service[0]);
    }
    expect(rows.map((row) => row[2]?.[0]).sort()).toEqual(functionEntries());
  });
});
