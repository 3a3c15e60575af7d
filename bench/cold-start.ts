/**
 * How heavy each function is to start: bundles every Lambda entry point as the stack deploys it
 * (infra/function-bundling.ts), then times, in fresh `node` processes, the loading of each bundle
 * (`require`, which runs the entry's module scope: configuration, clients, handler) as Lambda's
 * Init phase does, with the source maps on as the functions run them. Prints the bundle sizes and,
 * of the loading's elapsed time and of its CPU time (user and system: what the process itself
 * spent, which other work on a shared machine barely changes), the median, min and max of the
 * runs. Exits 1 when a bundle is over its size limit or a median CPU time over the cold-start
 * target.
 * Usage: npm run bench:cold-start [-- --runs 9]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import {
  BUNDLE_SIZE_LIMIT_BYTES,
  ENTRY_SUFFIX,
  esbuildOptions,
  functionEntries,
} from '../infra/function-bundling.js';
import { median } from './stats.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '9' } } });
const runs = Math.max(1, Number(values.runs));

/**
 * The most CPU time the median loading of a bundle may take, in milliseconds (docs/benchmark.md):
 * above what the heaviest bundle takes on the machine the figures come from, below what every
 * function took when each bundled every client.
 */
const COLD_START_TARGET_MS = 700;

/**
 * What the functions' configuration needs (dummy values: loading makes no call), with every
 * optional client on (notifications by SNS and EventBridge, the cost queue), as a deployed stack.
 */
const FUNCTION_ENVIRONMENT: Record<string, string> = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  STACK_NAME: 'GwmColdStart',
  TABLE_NAME: 'gwm-cold-start',
  ALLOWED_READ_PREFIXES: 's3://lab-fastq/',
  ALLOWED_WRITE_PREFIXES: 's3://lab-results/',
  OMICS_ROLE_ARN: 'arn:aws:iam::123456789012:role/gwm-omics',
  NOTIFY_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:gwm-notices',
  NOTIFY_EVENT_BUS_NAME: 'gwm-notices',
  COST_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/gwm-costs',
  POWERTOOLS_LOG_LEVEL: 'WARN',
};

interface Loading {
  /** Elapsed, milliseconds. */
  wall: number;
  /** User and system CPU time, milliseconds. */
  cpu: number;
}

/** Loads one bundle in a fresh process. */
function timeLoading(bundle: string): Loading {
  const script = `const cpu = process.cpuUsage();
const start = process.hrtime.bigint();
require(${JSON.stringify(bundle)});
const wall = Number(process.hrtime.bigint() - start) / 1e6;
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify({ wall, cpu: (used.user + used.system) / 1e3 }));`;
  const output = execFileSync(process.execPath, ['--enable-source-maps', '-e', script], {
    env: { PATH: process.env.PATH ?? '', ...FUNCTION_ENVIRONMENT },
    encoding: 'utf8',
  });
  return JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as Loading;
}

interface Spread {
  median: number;
  min: number;
  max: number;
}

const spreadOf = (values: number[]): Spread => ({
  median: median(values),
  min: Math.min(...values),
  max: Math.max(...values),
});

interface Row {
  entry: string;
  bytes: number;
  limit: number;
  wall: Spread;
  cpu: Spread;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gwm-cold-start-'));
  const rows: Row[] = [];
  try {
    for (const entry of functionEntries()) {
      const bundle = join(dir, entry.replace(/\.ts$/, ''), 'index.js');
      await build(esbuildOptions(entry, bundle));
      // One load first, not counted: every bundle is then timed with its file in the page cache.
      timeLoading(bundle);
      const loadings = Array.from({ length: runs }, () => timeLoading(bundle));
      rows.push({
        entry,
        bytes: statSync(bundle).size,
        limit: BUNDLE_SIZE_LIMIT_BYTES,
        wall: spreadOf(loadings.map((loading) => loading.wall)),
        cpu: spreadOf(loadings.map((loading) => loading.cpu)),
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const kb = (bytes: number) => `${(bytes / 1000).toFixed(0)} KB`;
  const spread = ({ median: mid, min, max }: Spread) =>
    `${mid.toFixed(0).padStart(5)} ${min.toFixed(0).padStart(5)} ${max.toFixed(0).padStart(5)}`;
  console.log(`Node ${process.version}, ${runs} runs per bundle; times in ms (median, min, max)\n`);
  console.log(
    `${'function'.padEnd(22)} ${'bundle'.padStart(8)} ${'limit'.padStart(8)}   ${'elapsed'.padEnd(17)}   cpu`,
  );
  for (const row of rows) {
    const name = row.entry.slice(0, -ENTRY_SUFFIX.length).padEnd(22);
    console.log(
      `${name} ${kb(row.bytes).padStart(8)} ${kb(row.limit).padStart(8)}   ${spread(row.wall)}   ${spread(row.cpu)}`,
    );
  }
  const problems = [
    ...rows
      .filter((row) => row.bytes >= row.limit)
      .map((row) => `${row.entry}: bundle over ${kb(row.limit)}`),
    ...rows
      .filter((row) => row.cpu.median > COLD_START_TARGET_MS)
      .map((row) => `${row.entry}: median CPU time of loading over ${COLD_START_TARGET_MS} ms`),
  ];
  for (const problem of problems) console.error(problem);
  console.log(
    `\ntargets: each bundle under its limit, the median CPU time of its loading under ${COLD_START_TARGET_MS} ms`,
  );
  process.exitCode = problems.length > 0 ? 1 : 0;
}

await main();
