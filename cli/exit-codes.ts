/** What a gwm command's exit status means; scripts branch on these. */
export const EXIT = {
  /** Done. For `status`: the batch is not finished yet, or it COMPLETED. */
  ok: 0,
  /** Something unexpected went wrong (the message says what). */
  unexpected: 1,
  /** Usage, or invalid input: an unknown option, a manifest or sample sheet with problems, a launch that cannot be retried. */
  usage: 2,
  /** The batch, launch, attempt or profile does not exist. */
  notFound: 3,
  /** `status`: the batch finished with failures (COMPLETED_WITH_FAILURES, FAILED or REJECTED). */
  batchFailed: 4,
  /** The target cannot be reached: no local stack is running, a deployed stack is missing, no credentials. */
  unreachable: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `
Exit codes:
  0  done (status: the batch is still running, or it COMPLETED)
  1  unexpected error
  2  usage or invalid input (manifest or sample sheet problems, a launch that cannot be retried)
  3  not found (batch, launch, attempt, workflow profile)
  4  status: the batch finished with failures (COMPLETED_WITH_FAILURES, FAILED, REJECTED)
  5  target not reachable: no local stack running (start one with \`gwm up\`), stack or credentials missing
`;

/** An expected way for a command to end: a message for the person and an exit code for scripts. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  readonly code: string;
  constructor(exitCode: ExitCode, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.code = code;
  }
}

export const usageError = (message: string) => new CliError(EXIT.usage, 'USAGE', message);
export const notFoundError = (message: string) => new CliError(EXIT.notFound, 'NOT_FOUND', message);
