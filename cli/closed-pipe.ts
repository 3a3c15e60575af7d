/**
 * A reader that stops early (`gwm history | head`) closes the pipe while gwm is still writing.
 * The rest of the output is not wanted: it is dropped, and the command ends as it would have
 * (with its own exit code; `gwm up` keeps running until it is stopped). Without a listener, Node
 * turns the EPIPE into an uncaught exception and prints a stack trace.
 */
export function dropOutputOnClosedPipe(stream: NodeJS.WritableStream = process.stdout): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') return;
    throw error;
  });
}
