import type { Launch } from '../../domain/launch.js';
import type { LaunchRepository } from '../../domain/ports.js';

/**
 * A repository whose bulk writes stop after `okCalls` chunks, as an intake Lambda that timed out
 * mid-registration: every later `putMany` throws Lambda's timeout message.
 */
export function crashingAfter(launches: LaunchRepository, okCalls: number): LaunchRepository {
  let calls = 0;
  return {
    ...launches,
    async putMany(items: readonly Launch[], options?: { fresh?: boolean }) {
      calls++;
      if (calls > okCalls) throw new Error('Task timed out after 300.00 seconds');
      return launches.putMany(items, options);
    },
  };
}
