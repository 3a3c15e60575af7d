import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerCancel } from './commands/cancel.js';
import { registerEstimate } from './commands/estimate.js';
import { registerHistory } from './commands/history.js';
import { registerLogs } from './commands/logs.js';
import { registerPrices } from './commands/prices.js';
import { registerRedrive } from './commands/redrive.js';
import { registerRelease } from './commands/release.js';
import { registerRetry } from './commands/retry.js';
import { registerStatus } from './commands/status.js';
import { registerSubmit } from './commands/submit.js';
import { registerTeams } from './commands/teams.js';
import { registerWorkflows } from './commands/workflows.js';
import type { CliContext } from './context.js';
import { CliError, EXIT, EXIT_CODES_HELP } from './exit-codes.js';
import { type CliIo, colorsFor, processIo } from './io.js';
import { type GlobalOptions, networkErrorCode, openTarget, type Target } from './target.js';

interface RunState {
  io: CliIo;
  exitCode: number;
  target?: Promise<Target>;
}

const runs = new WeakMap<Command, RunState>();

function packageVersion(): string {
  try {
    const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
    return (JSON.parse(text) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * The `gwm` program with the commands that talk to a running gwm (submit, status, history, retry,
 * logs, workflows); `extra` adds more (the local stack's `up` and `demo`).
 */
export function buildCliProgram(
  io: CliIo = processIo(),
  extra: readonly ((program: Command) => void)[] = [],
): Command {
  const run: RunState = { io, exitCode: EXIT.ok };
  const colors = colorsFor(io);
  const ctx: CliContext = {
    io,
    colors,
    out: (line = '') => io.stdout(`${line}\n`),
    err: (line = '') => io.stderr(`${line}\n`),
    target(command) {
      run.target ??= openTarget(command.optsWithGlobals<GlobalOptions>(), io);
      return run.target;
    },
    action(handler) {
      return async (...args) => {
        run.exitCode = (await handler(...args)) ?? EXIT.ok;
      };
    },
  };

  const program = new Command('gwm');
  runs.set(program, run);
  program
    .description(
      'Launch and follow genomics workflow batches on AWS HealthOmics, or on the local stack of `gwm up`',
    )
    .version(packageVersion(), '-V, --version')
    .option('--state-dir <dir>', 'state folder of the local stack (default: $GWM_STATE_DIR, else ./.gwm)')
    .option(
      '--stack <name>',
      'use a deployed gwm stack (its CloudFormation stack name) instead of the local stack',
    )
    .option('--profile <name>', 'with --stack: the AWS profile (credentials and region) to use')
    .option('--region <region>', 'with --stack: the AWS region of the stack')
    .configureOutput({ writeOut: (text) => io.stdout(text), writeErr: (text) => io.stderr(text) })
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      `${EXIT_CODES_HELP}
Examples:
  gwm up                                            # start the local stack (another terminal)
  gwm workflows add examples/workflows/profiles/fastq-stats.json
  gwm submit samplesheet.csv --workflow fastq-stats --wait
  gwm status HK3H3BBXY --watch
  gwm history --status FAILED --since 7d --csv > failed.csv
  gwm retry --batch HK3H3BBXY --failed
  gwm --stack gwm-prod --profile lab status 3f2a9c0e1d2b3a4f5e6d`,
    );

  registerSubmit(program, ctx);
  registerStatus(program, ctx);
  registerHistory(program, ctx);
  registerRetry(program, ctx);
  registerCancel(program, ctx);
  registerRedrive(program, ctx);
  registerEstimate(program, ctx);
  registerRelease(program, ctx);
  registerLogs(program, ctx);
  registerWorkflows(program, ctx);
  registerTeams(program, ctx);
  registerPrices(program, ctx);
  for (const register of extra) register(program);
  return program;
}

/** Runs a program built by buildCliProgram; resolves to the exit code (it never exits the process). */
export async function runProgram(program: Command, argv: readonly string[]): Promise<number> {
  const run = runs.get(program);
  if (run === undefined) throw new Error('runProgram needs a program made by buildCliProgram');
  const err = (line: string) => run.io.stderr(`${line}\n`);
  const colors = colorsFor(run.io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return run.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the message (or the help, or the version) already.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof CliError) {
      err(`${colors.red('gwm:')} ${error.message}`);
      return error.exitCode;
    }
    const network = networkErrorCode(error);
    if (network !== undefined) {
      const target = await run.target?.catch(() => undefined);
      const where = target?.description ?? 'the target';
      const hint =
        target?.kind === 'local' ? ': is its `gwm up` still running? (start one with `gwm up`)' : '';
      err(`${colors.red('gwm:')} cannot reach ${where} (${network})${hint}`);
      return EXIT.unreachable;
    }
    const e = error instanceof Error ? error : new Error(String(error));
    err(`${colors.red('gwm: unexpected error:')} ${e.name}: ${e.message}`);
    if (run.io.env.GWM_DEBUG) err(e.stack ?? '');
    return EXIT.unexpected;
  } finally {
    const target = await run.target?.catch(() => undefined);
    target?.close();
  }
}
