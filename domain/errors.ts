/** Base class of gwm's own errors: a stable `code` for machines, a message for people. */
export class GwmError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GwmError';
    this.code = code;
  }
}

/** A configuration value is missing or malformed; raised at cold start. */
export class ConfigError extends GwmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', message, options);
    this.name = 'ConfigError';
  }
}

/** A transient failure: the caller may retry the same work later (stream retry, backoff). */
export class RetryableError extends GwmError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'RetryableError';
  }
}

/** The manifest object, or the version of it a batch was registered from, no longer exists. */
export class ManifestGoneError extends GwmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MANIFEST_GONE', message, options);
    this.name = 'ManifestGoneError';
  }
}

/** S3 refused to restore an archived input for good (deleted, no longer archived, not allowed). */
export class RestoreRefusedError extends GwmError {
  constructor(message: string) {
    super('RESTORE_REFUSED', message);
    this.name = 'RestoreRefusedError';
  }
}

/** An error as a log line or a report gives it: `Name: message` (anything thrown that is not an Error, as text). */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** An error's message alone, for text that names its own context (anything thrown that is not an Error, as text). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
