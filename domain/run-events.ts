import * as z from 'zod';
import { RUN_STATUSES, type RunStatus } from './launch.js';

/** The EventBridge pattern of the tracker's rule (CDK) and of the local router. */
export const RUN_STATUS_CHANGE_PATTERN = {
  source: ['aws.omics'],
  'detail-type': ['Run Status Change'],
} as const;

const runStatusChange = z.object({
  source: z.literal('aws.omics'),
  'detail-type': z.literal('Run Status Change'),
  time: z.string(),
  id: z.string().optional(),
  detail: z
    .object({
      arn: z.string(),
      status: z.enum(RUN_STATUSES),
      runId: z.string().optional(),
      uuid: z.string().optional(),
      runName: z.string().optional(),
      runOutputUri: z.string().optional(),
      workflowId: z.string().optional(),
    })
    .passthrough(),
});

export interface RunStatusEvent {
  eventId?: string;
  runId: string;
  runUuid?: string;
  runArn: string;
  status: RunStatus;
  time: string;
  runName?: string;
  runOutputUri?: string;
}

export type ParsedRunEvent = { ok: true; event: RunStatusEvent } | { ok: false; reason: string };

/**
 * Reads a `Run Status Change` event. Older events carry only `arn` and `status`: the run id is
 * then the ARN's last segment. Anything else (a Task Status Change, another source) is not a run event.
 */
export function parseRunStatusEvent(raw: unknown): ParsedRunEvent {
  const parsed = runStatusChange.safeParse(raw);
  if (!parsed.success) {
    const detailType = (raw as { 'detail-type'?: unknown } | null)?.['detail-type'];
    return { ok: false, reason: `not a run status change (${String(detailType ?? 'no detail-type')})` };
  }
  const { detail, time, id } = parsed.data;
  const runId = detail.runId ?? runIdFromArn(detail.arn);
  if (!runId) return { ok: false, reason: `no run id in ${detail.arn}` };
  return {
    ok: true,
    event: {
      eventId: id,
      runId,
      runUuid: detail.uuid,
      runArn: detail.arn,
      status: detail.status,
      time,
      runName: detail.runName,
      runOutputUri: detail.runOutputUri,
    },
  };
}

export function runIdFromArn(arn: string): string | undefined {
  const match = /:run\/([^/]+)$/.exec(arn);
  return match?.[1];
}
