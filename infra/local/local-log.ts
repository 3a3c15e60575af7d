/** How bad a line of the embedded runtime's log is. */
export type LogLevel = 'info' | 'warn' | 'error';

/** How the embedded runtime and its local services report: whoever starts them decides where lines go. */
export type LocalLog = (level: LogLevel, message: string, details?: Record<string, unknown>) => void;
