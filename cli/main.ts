import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { dropOutputOnClosedPipe } from './closed-pipe.js';
import { registerDashboard } from './commands/dashboard.js';
import { registerDemo } from './commands/demo.js';
import { registerUp } from './commands/up.js';
import type { CliIo } from './io.js';
import { buildCliProgram, runProgram } from './program.js';

/** The whole `gwm` program: the local stack (`up`, `demo`, `dashboard`) and every command that talks to gwm. */
export function buildProgram(io?: CliIo): Command {
  return buildCliProgram(io, [registerUp, registerDemo, registerDashboard]);
}

/** Parses and runs one command line; resolves to its exit code. */
export function runCli(argv: readonly string[], io?: CliIo): Promise<number> {
  return runProgram(buildProgram(io), argv);
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  dropOutputOnClosedPipe(process.stdout);
  const code = await runCli(argv);
  // `up` and `demo` set process.exitCode themselves.
  if (code !== 0) process.exitCode = code;
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) await main();
