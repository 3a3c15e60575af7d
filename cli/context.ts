import type { Command } from 'commander';
import type { CliIo, Colors } from './io.js';
import type { Target } from './target.js';

/** What every command gets: where to write, and the gwm it talks to. */
export interface CliContext {
  io: CliIo;
  colors: Colors;
  /** Writes a line to stdout. */
  out(line?: string): void;
  /** Writes a line to stderr. */
  err(line?: string): void;
  /** The target the global options name; opened on first use, closed when the command ends. */
  target(command: Command): Promise<Target>;
  /** Wraps an action: its result is the exit code (nothing: 0). */
  action<A extends unknown[]>(
    run: (...args: A) => Promise<number | undefined>,
  ): (...args: A) => Promise<void>;
}
