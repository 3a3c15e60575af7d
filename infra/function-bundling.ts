import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';

/** The project's root folder (where functions/ and package-lock.json are). */
export const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * Where the Lambda entry points are, one file per function: `<function>.entry.ts` (the handler it
 * builds is `functions/<function>.ts`).
 */
export const FUNCTION_ENTRIES_DIR = 'functions/lambda';
export const ENTRY_SUFFIX = '.entry.ts';

/**
 * How every gwm function is bundled. GwmFunction gives these to the CDK's esbuild; the bundle-size
 * test and `npm run bench:cold-start` give them to esbuild directly, so what they measure is what
 * is deployed.
 */
export const FUNCTION_BUNDLING = {
  /** The Node.js version of FUNCTION_RUNTIME (infra/constructs/gwm-function.ts). */
  target: 'node24',
  format: 'cjs',
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  /**
   * The ES module builds first: the AWS SDK's (`module`) can be cut down to the commands a function
   * sends, its CommonJS builds (`main`) hold every command of the service.
   */
  mainFields: ['module', 'main'],
  /**
   * Left out of the bundles: the SDK's credential providers for a profile, SSO, a credential
   * process and a web identity token file. The SDK loads them only when the environment holds no
   * credentials, and a Lambda function's always does (the SDK reads them first); left in, they
   * weigh about 85 KB in every function.
   */
  externalModules: [
    '@aws-sdk/credential-provider-ini',
    '@aws-sdk/credential-provider-process',
    '@aws-sdk/credential-provider-sso',
    '@aws-sdk/credential-provider-web-identity',
    // Container and instance metadata credentials: imported only when the environment holds none.
    '@aws-sdk/credential-provider-http',
    '@smithy/credential-provider-imds',
  ],
} as const;

/**
 * The most a function's bundle (index.js) may weigh: 1 MB, 1,000,000 bytes; the smaller the
 * bundle, the less Node.js reads and compiles at a cold start.
 */
export const BUNDLE_SIZE_LIMIT_BYTES = 1_000_000;

/** The file names of the Lambda entry points (`launcher.ts`...). */
export function functionEntries(): string[] {
  return readdirSync(`${PROJECT_ROOT}${FUNCTION_ENTRIES_DIR}`)
    .filter((name) => name.endsWith(ENTRY_SUFFIX))
    .sort();
}

/** The esbuild options GwmFunction's bundling amounts to, for one entry point written to `outfile`. */
export function esbuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [`${FUNCTION_ENTRIES_DIR}/${entry}`],
    outfile,
    bundle: true,
    platform: 'node',
    target: FUNCTION_BUNDLING.target,
    format: FUNCTION_BUNDLING.format,
    minify: FUNCTION_BUNDLING.minify,
    sourcemap: FUNCTION_BUNDLING.sourceMap,
    sourcesContent: FUNCTION_BUNDLING.sourcesContent,
    mainFields: [...FUNCTION_BUNDLING.mainFields],
    external: [...FUNCTION_BUNDLING.externalModules],
    logLevel: 'error',
  };
}
