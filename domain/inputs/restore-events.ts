import * as z from 'zod';

/**
 * S3's word that a restore finished: the EventBridge event (`Object Restore Completed`, sent when
 * EventBridge notifications are on for the bucket) or the S3 notification record
 * (`s3:ObjectRestore:Completed`). The CDK rule and the embedded runtime's router use this pattern.
 */
export const RESTORE_COMPLETED_PATTERN = {
  source: ['aws.s3'],
  'detail-type': ['Object Restore Completed'],
} as const;

const eventBridgeRestore = z.object({
  source: z.literal('aws.s3'),
  'detail-type': z.literal('Object Restore Completed'),
  detail: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({ key: z.string().min(1) }),
    'restore-expiry-time': z.string().optional(),
  }),
});

const notificationRestore = z.object({
  Records: z
    .array(
      z.object({
        eventName: z.string(),
        s3: z.object({ bucket: z.object({ name: z.string() }), object: z.object({ key: z.string() }) }),
        glacierEventData: z
          .object({
            restoreEventData: z.object({ lifecycleRestorationExpiryTime: z.string().optional() }).optional(),
          })
          .optional(),
      }),
    )
    .min(1),
});

export interface ObjectRestored {
  uri: string;
  expiresAt?: string;
}

const iso = (value: string | undefined) => {
  const time = value === undefined ? Number.NaN : Date.parse(value);
  return Number.isFinite(time) ? new Date(time).toISOString() : undefined;
};

/** The objects an event says are restored; empty for anything else. */
export function restoredObjectsOf(event: unknown): ObjectRestored[] {
  const bridge = eventBridgeRestore.safeParse(event);
  if (bridge.success) {
    const { bucket, object } = bridge.data.detail;
    const expiresAt = iso(bridge.data.detail['restore-expiry-time']);
    return [{ uri: `s3://${bucket.name}/${object.key}`, ...(expiresAt && { expiresAt }) }];
  }
  const notification = notificationRestore.safeParse(event);
  if (!notification.success) return [];
  return notification.data.Records.filter((record) =>
    record.eventName.startsWith('ObjectRestore:Completed'),
  ).map((record) => {
    // Notification keys are form-URL-encoded (a space is `+`).
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
    const expiresAt = iso(record.glacierEventData?.restoreEventData?.lifecycleRestorationExpiryTime);
    return { uri: `s3://${record.s3.bucket.name}/${key}`, ...(expiresAt && { expiresAt }) };
  });
}
