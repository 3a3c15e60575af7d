import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { RunLogReader, RunManifestReader } from '../../domain/ports.js';
import { makeCloudWatchLogReader } from '../adapters/cloudwatch-log-reader.js';
import { makeCloudWatchRunManifestReader } from '../adapters/cloudwatch-run-manifest.js';
import type { Base } from './base.js';

function logsClientOf(base: Base): CloudWatchLogsClient {
  return base.share(
    logsClientOf,
    () =>
      base.overrides.logs ??
      new CloudWatchLogsClient({ region: base.region, endpoint: base.config.LOGS_ENDPOINT }),
  );
}

/** Where HealthOmics writes runs' logs and manifests, and the client both are read with. */
function runLogGroupOf(base: Base): { client: CloudWatchLogsClient; logGroup: string } {
  return { client: logsClientOf(base), logGroup: base.config.OMICS_LOG_GROUP };
}

/** The end of a run's engine log (CloudWatch Logs). */
export function runLogsOf(base: Base): RunLogReader {
  return base.share(
    runLogsOf,
    () => base.overrides.logReader ?? makeCloudWatchLogReader(runLogGroupOf(base)),
  );
}

/** A run's manifest, which the cost collector prices its storage from (CloudWatch Logs). */
export function runManifestsOf(base: Base): RunManifestReader {
  return base.share(
    runManifestsOf,
    () => base.overrides.runManifests ?? makeCloudWatchRunManifestReader(runLogGroupOf(base)),
  );
}
