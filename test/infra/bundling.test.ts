import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { FUNCTION_RUNTIME, GwmFunction, type GwmFunctionProps } from '../../infra/constructs/gwm-function.js';
import { LaunchTable } from '../../infra/constructs/launch-table.js';
import { esbuildOptions, FUNCTION_BUNDLING } from '../../infra/function-bundling.js';

describe('function bundling', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'gwm-bundling-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  /**
   * Synthesises stack `stackId` of one function, bundling on (no `aws:cdk:bundling-stacks` context),
   * and gives the folder of the function's asset in `outdir`, as the assets manifest names it.
   */
  function bundleOne(
    stackId: string,
    functionId: string,
    props: Pick<GwmFunctionProps, 'entry' | 'files'>,
  ): string | undefined {
    const app = new App({ outdir });
    const stack = new Stack(app, stackId);
    const table = new LaunchTable(stack, 'Launches').table;
    const fn = new GwmFunction(stack, functionId, {
      description: 'bundling check',
      environment: {},
      timeout: Duration.seconds(30),
      logRetention: RetentionDays.ONE_DAY,
      table,
      tableAccess: { actions: ['GetItem'] },
      ...props,
    });
    const assembly = app.synth();
    const manifest = JSON.parse(
      readFileSync(join(assembly.directory, `${stack.artifactId}.assets.json`), 'utf8'),
    ) as { files: Record<string, { displayName?: string; source: { path: string } }> };
    const asset = Object.values(manifest.files).find((file) =>
      file.displayName?.startsWith(fn.fn.node.path.slice(stack.node.id.length + 1)),
    );
    return asset?.source.path;
  }

  it('builds a function with the local esbuild, offline, into one file with its source map', async () => {
    // Act
    const assetPath = bundleOne('Bundling', 'Launcher', { entry: 'launcher.entry.ts' }) ?? '';
    // Assess
    expect(assetPath).toMatch(/^asset\./);
    const bundle = join(outdir, assetPath, 'index.js');
    expect(existsSync(bundle)).toBe(true);
    expect(existsSync(join(outdir, assetPath, 'index.js.map'))).toBe(true);
    const code = readFileSync(bundle, 'utf8');
    const required = new Set(
      [...code.matchAll(/(?:require|import)\(["']([^"']+)["']\)/g)]
        .map((match) => match[1] ?? '')
        .filter((module) => !module.startsWith('node:')),
    );
    // Everything is inside but Node's own modules, the SDK's optional signers, which it loads only
    // if present (in a try block), and the credential providers a Lambda function never reaches.
    expect([...required].sort()).toEqual(
      [...FUNCTION_BUNDLING.externalModules, '@aws-sdk/signature-v4-crt', '@aws-sdk/signature-v4a'].sort(),
    );
    expect(code).toContain('sourceMappingURL=index.js.map');
    // What the bundle-size test and the cold-start benchmark build is what the stack deploys.
    const direct = await build({
      ...esbuildOptions('launcher.entry.ts', join(outdir, 'direct', 'index.js')),
      write: false,
    });
    const directCode = direct.outputFiles.find((file) => file.path.endsWith('index.js'))?.text;
    expect(directCode === code, 'esbuild with FUNCTION_BUNDLING builds the bundle the stack deploys').toBe(
      true,
    );
    expect(FUNCTION_RUNTIME.name).toBe(`nodejs${FUNCTION_BUNDLING.target.slice('node'.length)}.x`);
  });

  it("copies the files a function reads beside its bundle (a deployment's price list)", () => {
    // Act
    const assetPath = bundleOne('BundlingFiles', 'Collector', {
      entry: 'cost-collector.entry.ts',
      files: [{ source: 'domain/cost/healthomics-prices.json', name: 'price-list.json' }],
    });
    // Assess: the file is in the asset, byte for byte
    const copied = join(outdir, assetPath ?? 'missing', 'price-list.json');
    expect(readFileSync(copied, 'utf8')).toBe(readFileSync('domain/cost/healthomics-prices.json', 'utf8'));
  });
});
