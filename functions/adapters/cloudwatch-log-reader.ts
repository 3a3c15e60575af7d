import { type CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { RunLogReader, RunLogTail } from '../../domain/ports.js';
import { clip } from '../../domain/text.js';
import { OMICS_LOG_GROUP } from './config.js';
import { isResourceNotFound } from './not-found.js';

const LINE_MAX = 500;

/** Reads the end of a run's engine log (`/aws/omics/WorkflowLog`, stream `run/{id}`). */
export function makeCloudWatchLogReader(options: {
  client: CloudWatchLogsClient;
  logGroup?: string;
}): RunLogReader {
  const logGroup = options.logGroup ?? OMICS_LOG_GROUP;
  return {
    async tail(runId: string, maxLines: number): Promise<RunLogTail | undefined> {
      const logStream = `run/${runId}`;
      const location = `${logGroup}:${logStream}`;
      try {
        const response = await options.client.send(
          new GetLogEventsCommand({
            logGroupName: logGroup,
            logStreamName: logStream,
            limit: maxLines,
            startFromHead: false,
          }),
        );
        const lines = (response.events ?? [])
          .map((event) => (event.message ?? '').trimEnd())
          .map((line) => clip(line, LINE_MAX, { markOutside: true }));
        return { location, lines };
      } catch (error) {
        // A run that failed before it logged anything has no stream: say where to look, keep going.
        if (isResourceNotFound(error)) return { location, lines: [] };
        // The status still gets applied; the item says why the excerpt is missing.
        return {
          location,
          lines: [`(log not readable: ${(error as Error).name}: ${(error as Error).message})`],
        };
      }
    },
  };
}
