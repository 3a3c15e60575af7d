import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const biome = join(root, 'node_modules/@biomejs/biome/bin/biome');

/**
 * Runs the project's own Biome configuration on a probe file placed in a copy of the layout, so
 * the rule that keeps domain/ pure is shown to fail the lint, not just assumed to.
 */
function lintProbe(folder: string, source: string): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gwm-purity-'));
  cleanups.push(dir);
  const config = JSON.parse(readFileSync(join(root, 'biome.json'), 'utf8'));
  config.$schema = undefined;
  config.vcs = { enabled: false };
  writeFileSync(join(dir, 'biome.json'), JSON.stringify(config));
  mkdirSync(join(dir, folder), { recursive: true });
  writeFileSync(join(dir, folder, 'probe.ts'), source);
  try {
    const output = execFileSync(process.execPath, [biome, 'lint', '--max-diagnostics=50', '.'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: 'pipe',
    });
    return { ok: true, output };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const cleanups: string[] = [];
afterAll(() => {
  for (const dir of cleanups) rmSync(dir, { recursive: true, force: true });
});

describe('domain purity rule', () => {
  it.each([
    ["import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const c = DynamoDBClient;\n"],
    ["import { Entity } from 'electrodb';\nexport const e = Entity;\n"],
    ["import { Stack } from 'aws-cdk-lib';\nexport const s = Stack;\n"],
    ["import type { Context } from 'aws-lambda';\nexport type C = Context;\n"],
    ['export const region = process.env.AWS_REGION;\n'],
  ])('fails the lint for domain code that reaches outside: %s', (source) => {
    const result = lintProbe('domain', source);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/noRestrictedImports|noProcessEnv/);
  });

  it('lets the same code through outside domain/', () => {
    const result = lintProbe('functions', "import { Entity } from 'electrodb';\nexport const e = Entity;\n");
    expect(result.output).not.toMatch(/noRestrictedImports/);
  });

  it('accepts pure domain code', () => {
    expect(lintProbe('domain', 'export const double = (n: number): number => n * 2;\n').ok).toBe(true);
  });
});
