import * as z from 'zod';
import { CACHE_BEHAVIORS } from '../workflow.js';

/** HealthOmics run cache ids: [0-9]+, 1 to 18 characters (API_RunCacheListItem). */
export const RUN_CACHE_ID = /^\d{1,18}$/;

/** A run setting of manifests (defaults, samples, QC) and profiles: the run cache StartRun names. */
export const runCacheSchema = z
  .strictObject({
    id: z
      .string()
      .regex(RUN_CACHE_ID, 'expected a numeric run cache id (1-18 digits)')
      .describe('The HealthOmics run cache id (CreateRunCache gives it).'),
    behavior: z
      .enum(CACHE_BEHAVIORS, { error: 'expected CACHE_ON_FAILURE or CACHE_ALWAYS' })
      .optional()
      .describe(
        "What the run leaves in the cache: CACHE_ON_FAILURE (the completed tasks of a run that fails) or CACHE_ALWAYS (the completed tasks of every run); the cache's own default when omitted.",
      ),
  })
  .describe(
    'A HealthOmics run cache: a retried run takes the tasks an earlier run completed with the same inputs from it instead of running them again.',
  );
