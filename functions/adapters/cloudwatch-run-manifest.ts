import { type CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { runManifestStream, storageUseOf } from '../../domain/cost/run-manifest.js';
import type { RunStorageUse } from '../../domain/cost/types.js';
import type { RunManifestReader } from '../../domain/ports.js';
import { OMICS_LOG_GROUP } from './config.js';
import { isResourceNotFound } from './not-found.js';

/** Pages of one stream read at most: a manifest of thousands of tasks is a few pages, the run first. */
const MAX_PAGES = 50;

/**
 * Reads a run's storage use from its run manifest in CloudWatch Logs (`/aws/omics/WorkflowLog`,
 * stream `manifest/run/<id>/<uuid>`; GetRun gives the UUID). A run without a UUID has no manifest
 * gwm can name: undefined, as for a manifest not written yet.
 */
export function makeCloudWatchRunManifestReader(options: {
  client: CloudWatchLogsClient;
  logGroup?: string;
}): RunManifestReader {
  const logGroupName = options.logGroup ?? OMICS_LOG_GROUP;
  const { client } = options;

  return {
    async storageUse(runId, runUuid): Promise<RunStorageUse | undefined> {
      try {
        if (runUuid === undefined) return undefined;
        const logStreamName = runManifestStream(runId, runUuid);
        let nextToken: string | undefined;
        for (let page = 0; page < MAX_PAGES; page++) {
          const response = await client.send(
            new GetLogEventsCommand({ logGroupName, logStreamName, startFromHead: true, nextToken }),
          );
          const messages = (response.events ?? []).map((event) => event.message ?? '');
          const use = storageUseOf(messages, runId);
          if (use) return use;
          // The same token back means the end of the stream.
          if (!response.nextForwardToken || response.nextForwardToken === nextToken) return undefined;
          nextToken = response.nextForwardToken;
        }
        return undefined;
      } catch (error) {
        if (isResourceNotFound(error)) return undefined;
        throw error;
      }
    },
  };
}
