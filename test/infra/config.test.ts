import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAUNCHER_EVENT_SOURCE } from '../../functions/event-sources.js';
import {
  DeployConfigError,
  parseDeploySettings,
  readDeploySettings,
  settingsEnvironment,
} from '../../infra/config.js';
import {
  checkedLauncherBudget,
  effectiveFunctionConfig,
  LAMBDA_MAX_TIMEOUT_SECONDS,
  launcherBudget,
  reconcilerTimeoutSeconds,
} from '../../infra/function-settings.js';
import { SETTINGS } from './stack-fixture.js';

const EXAMPLE = join(import.meta.dirname, '../../examples/deploy/gwm.config.json');

/** A context lookup as `cdk.json` and `-c key=value` provide it. */
const context = (values: Record<string, unknown>) => ({ tryGetContext: (key: string) => values[key] });

function errorOf(action: () => unknown): DeployConfigError {
  try {
    action();
  } catch (error) {
    if (error instanceof DeployConfigError) return error;
    throw error;
  }
  throw new Error('no DeployConfigError was thrown');
}

describe('deploy settings', () => {
  it('fills in safe defaults and leaves the functions’ own settings unset', () => {
    // Act
    const settings = parseDeploySettings(SETTINGS);
    // Assess
    expect(settings).toMatchObject({
      stackName: 'Gwm',
      launcherConcurrency: 2,
      removalPolicy: 'retain',
      logRetentionDays: 90,
      reconcile: { everyMinutes: 5, afterMinutes: {} },
      startRun: {},
    });
    expect(settings.omicsServiceRoleArn).toBeUndefined();
    expect(settingsEnvironment(settings)).toEqual({
      ALLOWED_READ_PREFIXES: 's3://lab-inputs/fastq/,s3://lab-references',
      ALLOWED_WRITE_PREFIXES: 's3://lab-results/gwm/',
      // Not HealthOmics' default (RETAIN): that refuses new runs once the account's run count is full
      RUN_RETENTION_MODE: 'REMOVE',
    });
  });

  it('carries a default budget to the functions, and refuses one that is not a positive amount', () => {
    // Act
    const settings = parseDeploySettings({ ...SETTINGS, budget: { defaultMaxUsd: 500 } });
    const error = errorOf(() => parseDeploySettings({ ...SETTINGS, budget: { defaultMaxUsd: 0 } }));
    // Assess
    expect(settingsEnvironment(settings).BUDGET_DEFAULT_MAX_USD).toBe('500');
    expect(effectiveFunctionConfig(settings).BUDGET_DEFAULT_MAX_USD).toBe(500);
    expect(error.message).toContain('budget.defaultMaxUsd');
  });

  it('carries the restore tier and days of archived inputs to the functions, and refuses a tier S3 has not', () => {
    // Act
    const settings = parseDeploySettings({ ...SETTINGS, restore: { tier: 'Standard', days: 3 } });
    const error = errorOf(() => parseDeploySettings({ ...SETTINGS, restore: { tier: 'Fast' } }));
    // Assess
    expect(settingsEnvironment(settings)).toMatchObject({ RESTORE_TIER: 'Standard', RESTORE_DAYS: '3' });
    expect(effectiveFunctionConfig(settings)).toMatchObject({ RESTORE_TIER: 'Standard', RESTORE_DAYS: 3 });
    expect(effectiveFunctionConfig(parseDeploySettings(SETTINGS))).toMatchObject({
      RESTORE_TIER: 'Bulk',
      RESTORE_DAYS: 7,
    });
    expect(error.message).toContain('restore.tier');
  });

  it('names every bad setting with its path', () => {
    // Act
    const error = errorOf(() =>
      parseDeploySettings({
        allowedInputPrefixes: ['https://lab-inputs/fastq/'],
        allowedOutputPrefixes: [],
        omicsServiceRoleArn: 'lab-omics-role',
        startRun: { ratePerSecond: 0 },
        notificationEmails: ['not an address'],
        removalPolicy: 'snapshot',
        logRetentionDays: 42,
        reconcile: { engineReadsPerSecond: 12, afterMinutes: { sending: 3 } },
        launcherConcurrecy: 3,
      }),
    );
    // Assess
    expect(error.code).toBe('DEPLOY_CONFIG_INVALID');
    for (const path of [
      'allowedInputPrefixes[0]',
      'allowedOutputPrefixes',
      'omicsServiceRoleArn',
      'startRun.ratePerSecond',
      'notificationEmails[0]',
      'removalPolicy',
      'logRetentionDays',
      'reconcile.engineReadsPerSecond',
      'reconcile.afterMinutes.sending',
      'launcherConcurrecy',
    ]) {
      expect(error.message).toContain(`  ${path}`);
    }
    expect(error.message).toContain('expected an S3 URI of the form s3://bucket/key');
    expect(error.message).toContain('below the 10 TPS HealthOmics quota');
    expect(error.message).toContain('more than the aggregator timeout of 3 minutes');
    expect(error.message).toContain('launcherConcurrecy: not a gwm setting');
  });

  it('refuses settings missing the prefixes, saying where it looked', () => {
    // Act
    const error = errorOf(() => readDeploySettings(context({})));
    // Assess
    expect(error.message).toContain('no settings given');
    expect(error.message).toContain('allowedInputPrefixes');
    expect(error.message).toContain('docs/deploy.md');
  });

  it('reads a settings file named by context, with the gwm context over it key by key', () => {
    // Prepare
    const files: Record<string, string> = {
      [join(process.cwd(), 'lab.json')]: JSON.stringify({
        ...SETTINGS,
        stackName: 'GwmLab',
        startRun: { ratePerSecond: 2, burst: 2 },
      }),
    };
    // Act
    const settings = readDeploySettings(
      context({
        configFile: 'lab.json',
        gwm: JSON.stringify({ startRun: { burst: 4 }, removalPolicy: 'destroy' }),
      }),
      (path) => {
        const text = files[path];
        if (text === undefined) throw new Error(`ENOENT: ${path}`);
        return text;
      },
    );
    // Assess
    expect(settings.stackName).toBe('GwmLab');
    expect(settings.startRun).toEqual({ ratePerSecond: 2, burst: 4 });
    expect(settings.removalPolicy).toBe('destroy');
    expect(settings.allowedOutputPrefixes).toEqual(SETTINGS.allowedOutputPrefixes);
  });

  it('takes the gwm context as an object too (cdk.json)', () => {
    // Act
    const settings = readDeploySettings(context({ gwm: { ...SETTINGS, launcherConcurrency: 1 } }));
    // Assess
    expect(settings.launcherConcurrency).toBe(1);
  });

  it('says which file it could not read or parse', () => {
    // Act
    const missing = errorOf(() =>
      readDeploySettings(context({ configFile: 'nowhere.json' }), () => {
        throw new Error('ENOENT: no such file');
      }),
    );
    const broken = errorOf(() =>
      readDeploySettings(context({ configFile: 'broken.json' }), () => '{"stackName":'),
    );
    const notObject = errorOf(() => readDeploySettings(context({ gwm: '[1, 2]' })));
    // Assess
    expect(missing.message).toMatch(/cannot read the gwm settings file .*nowhere\.json: ENOENT/);
    expect(broken.message).toMatch(/the gwm settings file .*broken\.json is not JSON/);
    expect(notObject.message).toBe('context "gwm" must be a JSON object of gwm settings');
  });

  it('accepts the example settings file as it is', () => {
    // Act
    const settings = readDeploySettings(context({ configFile: EXAMPLE }));
    // Assess
    expect(settings.allowedInputPrefixes.length).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(EXAMPLE, 'utf8')).stackName).toBe(settings.stackName);
  });

  it('refuses settings the functions themselves would refuse at cold start', () => {
    // Act
    const error = errorOf(() =>
      effectiveFunctionConfig(
        parseDeploySettings({ ...SETTINGS, allowedInputPrefixes: ['s3://Lab_Inputs/'] }),
      ),
    );
    // Assess: the deploy schema already names the bad prefix
    expect(error.message).toContain('allowedInputPrefixes[0]');
  });
});

describe('function timeouts from the settings', () => {
  const batch = { batchSize: LAUNCHER_EVENT_SOURCE.batchSize, concurrentLaunchers: 2 };
  /** The functions' configuration for the test settings with `overrides`. */
  const configWith = (overrides: Partial<typeof SETTINGS> = {}) =>
    effectiveFunctionConfig(parseDeploySettings({ ...SETTINGS, ...overrides }));

  it('grows the launcher timeout with the StartRun retry budget', () => {
    // Prepare
    const oneLane = { launcherParallelLaunches: 1 };
    const defaults = configWith(oneLane);
    const fewerCalls = configWith({ ...oneLane, startRun: { callsPerClaim: 3 } });
    // Act
    const base = launcherBudget(defaults, batch);
    const shorter = launcherBudget(fewerCalls, batch);
    // Assess: 3 calls x 13 s + 3 s of backoff (1 s, 2 s) + 5 s = 47 s a launch; 10 of them in one
    // lane, plus 20 s of waiting for a registration to finish and 10 s of cold start
    expect(shorter.perLaunchMs).toBe(47_000);
    expect(shorter.timeoutSeconds).toBe(500);
    expect(base.timeoutSeconds).toBeGreaterThan(shorter.timeoutSeconds);
  });

  it('counts the token wait of every launcher and the reconciler sharing the bucket', () => {
    // Prepare
    const config = configWith({
      launcherParallelLaunches: 1,
      startRun: { ratePerSecond: 4, callsPerClaim: 1 },
    });
    // Act
    const one = launcherBudget(config, { batchSize: 10, concurrentLaunchers: 1 });
    const seven = launcherBudget(config, { batchSize: 10, concurrentLaunchers: 7 });
    // Assess: 1 call: (2 / 4 s) or (8 / 4 s) for a token, 10 s for the call, 5 s of table work
    expect(one.perLaunchMs).toBe(500 + 10_000 + 5_000);
    expect(seven.perLaunchMs).toBe(2_000 + 10_000 + 5_000);
  });

  it('times a stream batch by its busiest lane, each call waiting behind every lane of every launcher', () => {
    // Prepare
    const lanes = (launcherParallelLaunches: number) =>
      configWith({ launcherParallelLaunches, startRun: { ratePerSecond: 4, callsPerClaim: 1 } });
    // Act
    const one = launcherBudget(lanes(1), batch);
    const four = launcherBudget(lanes(4), batch);
    const ten = launcherBudget(lanes(10), batch);
    // Assess: 2 launchers x lanes + the reconciler contend for 4 tokens a second; a lane starts
    // ceil(10 / lanes) launches one after another, each 1 call (10 s) + 5 s of table work after
    // its token; plus 20 s of registration wait and 10 s of cold start
    expect(one).toEqual({ contenders: 3, launchesPerLane: 10, perLaunchMs: 15_750, timeoutSeconds: 188 });
    expect(four).toEqual({ contenders: 9, launchesPerLane: 3, perLaunchMs: 17_250, timeoutSeconds: 82 });
    expect(ten).toEqual({ contenders: 21, launchesPerLane: 1, perLaunchMs: 20_250, timeoutSeconds: 51 });
  });

  it('gives the default eight lanes two rounds of a stream batch, each call behind 17 lanes at 1 StartRun a second', () => {
    // Prepare
    const config = configWith();
    // Act
    const budget = launcherBudget(config, batch);
    // Assess: 5 calls x (17 s for a token + 10 s a call) + 15 s of backoff + 5 s = 155 s a launch;
    // 2 launches a lane, 20 s of registration wait, 10 s of cold start
    expect(config.LAUNCHER_PARALLEL_LAUNCHES).toBe(8);
    expect(budget).toEqual({ contenders: 17, launchesPerLane: 2, perLaunchMs: 155_000, timeoutSeconds: 340 });
  });

  it('refuses more lanes than a stream batch has launches', () => {
    // Act
    const error = errorOf(() => parseDeploySettings({ ...SETTINGS, launcherParallelLaunches: 11 }));
    // Assess
    expect(error.message).toContain("launcherParallelLaunches: at most the launcher's stream batch size, 10");
  });

  it('refuses a StartRun budget Lambda cannot give, naming the settings to change', () => {
    // Prepare
    const config = configWith({
      launcherParallelLaunches: 1,
      startRun: { callsPerClaim: 8, backoffMaxMs: 60_000 },
    });
    // Act
    const error = errorOf(() => checkedLauncherBudget(config, batch));
    // Assess
    expect(launcherBudget(config, batch).timeoutSeconds).toBeGreaterThan(LAMBDA_MAX_TIMEOUT_SECONDS);
    expect(error.message).toMatch(/above Lambda's 900 s/);
    expect(error.message).toContain('startRun.callsPerClaim');
    expect(error.message).toContain('launcherConcurrency');
    expect(error.message).toContain('launcherParallelLaunches');
  });

  it('refuses a claim lease shorter than one launch’s StartRun budget', () => {
    // Prepare
    const config = configWith({ claimLeaseSeconds: 60 });
    // Act
    const error = errorOf(() => checkedLauncherBudget(config, batch));
    // Assess
    expect(error.message).toMatch(
      /claimLeaseSeconds \(60\) is shorter than one launch's StartRun budget \(155 s among 17 lanes/,
    );
  });

  it('gives the reconciler time for its paced engine reads, never more than Lambda allows', () => {
    // Prepare
    const defaults = configWith();
    const huge = configWith({ reconcile: { maxLaunches: 100_000 } });
    // Act & Assess: 500 launches x 2 reads at 5 per second, a minute for the table
    expect(reconcilerTimeoutSeconds(defaults)).toBe(260);
    expect(reconcilerTimeoutSeconds(huge)).toBe(LAMBDA_MAX_TIMEOUT_SECONDS);
  });
});
