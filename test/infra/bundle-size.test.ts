import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_SIZE_LIMIT_BYTES, esbuildOptions, functionEntries } from '../../infra/function-bundling.js';

interface Bundle {
  entry: string;
  bytes: number;
  inputs: string[];
}

/** Each function bundled as GwmFunction bundles it, in memory. */
async function bundleAll(): Promise<Bundle[]> {
  return Promise.all(
    functionEntries().map(async (entry) => {
      const result = await build({
        ...esbuildOptions(entry, `/tmp/gwm-bundle-size/${entry}/index.js`),
        write: false,
        metafile: true,
      });
      const code = result.outputFiles.find((file) => file.path.endsWith('index.js'));
      return { entry, bytes: code?.contents.length ?? 0, inputs: inputsOf(result.metafile) };
    }),
  );
}

function inputsOf(metafile: Metafile): string[] {
  const output = Object.values(metafile.outputs).find((out) => out.entryPoint !== undefined);
  return Object.keys(output?.inputs ?? {});
}

/** The AWS SDK clients a bundle holds (`dynamodb`, `s3`...). */
function clientsIn(bundle: Bundle): string[] {
  const clients = bundle.inputs
    .map((input) => /@aws-sdk\/client-([a-z0-9-]+)\//.exec(input)?.[1])
    .filter((client): client is string => client !== undefined);
  return [...new Set(clients)].sort();
}

describe('function bundles', () => {
  let bundles: Bundle[];
  beforeAll(async () => {
    bundles = await bundleAll();
  }, 120_000);

  it('stay under 1 MB (1,000,000 bytes) each', () => {
    // Prepare: the sizes, for the message
    const table = bundles.map(({ entry, bytes }) => `${entry}: ${bytes.toLocaleString('en')} B`).join('\n');
    // Assess
    expect(bundles).toHaveLength(7);
    const over = bundles.filter(({ bytes }) => bytes >= BUNDLE_SIZE_LIMIT_BYTES).map(({ entry }) => entry);
    expect(over, `bundles over ${BUNDLE_SIZE_LIMIT_BYTES.toLocaleString('en')} B:\n${table}`).toEqual([]);
  });

  it('hold only the AWS SDK clients their handler uses', () => {
    // Assess
    const clients = Object.fromEntries(bundles.map((bundle) => [bundle.entry, clientsIn(bundle)]));
    expect(clients).toEqual({
      'aggregator.entry.ts': ['dynamodb', 'eventbridge', 's3', 'sns', 'sqs'],
      'cost-collector.entry.ts': ['cloudwatch-logs', 'dynamodb', 'omics', 'sqs'],
      'launcher.entry.ts': ['dynamodb', 'omics', 's3'],
      'intake.entry.ts': ['dynamodb', 'eventbridge', 's3', 'sns'],
      'tracker.entry.ts': ['cloudwatch-logs', 'dynamodb', 'omics'],
      // S3: a launch it starts again may need an archived input restored first
      'reconciler.entry.ts': ['cloudwatch-logs', 'dynamodb', 'omics', 's3'],
      'restore-tracker.entry.ts': ['dynamodb', 's3'],
    });
  });

  it('hold no code of the embedded runtime, the CLI or the CDK', () => {
    // Assess
    for (const bundle of bundles) {
      const foreign = bundle.inputs.filter((input) =>
        /(^|\/)(infra|cli)\/|aws-cdk-lib|constructs\//.test(input),
      );
      expect(foreign, bundle.entry).toEqual([]);
    }
  });
});
