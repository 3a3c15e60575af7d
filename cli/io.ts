import pc from 'picocolors';

/** Where a command writes and what it reads from its surroundings; tests pass their own. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  /** stdout is a terminal: tables are redrawn in place and coloured. */
  isTTY: boolean;
  /** Terminal size, when it is one. */
  columns?: number;
  rows?: number;
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    isTTY: process.stdout.isTTY === true,
    columns: process.stdout.columns,
    rows: process.stdout.rows,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}

export type Colors = ReturnType<typeof pc.createColors>;

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function colorsFor(io: CliIo): Colors {
  const enabled = io.isTTY && !io.env.NO_COLOR && io.env.TERM !== 'dumb';
  return pc.createColors(enabled);
}

/** The colours of this process's own stdout (for commands that write to it directly). */
export function stdoutColors(): Colors {
  return colorsFor(processIo());
}

/** The same, for lines written to stderr (a terminal or not on its own). */
export function stderrColors(): Colors {
  return colorsFor({ ...processIo(), isTTY: process.stderr.isTTY === true });
}
