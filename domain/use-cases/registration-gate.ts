import { RetryableError } from '../errors.js';
import type { BatchRepository } from '../ports.js';

export interface RegistrationGateDeps {
  batches: Pick<BatchRepository, 'get'>;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  /** How long one call waits for a registration to finish before it is retried later. */
  waitMs: number;
  /** Pause between two looks at the batch. */
  pollMs: number;
}

/**
 * A registration lease counts as run out this long after its expiry, so clocks a little apart
 * never make the gate give up on a registration that still holds its lease. The registration
 * itself counts its lease as lapsed from the expiry on (see registerManifest).
 */
export const LEASE_GRACE_MS = 5_000;

/**
 * - registered: the batch has left REGISTERING (or is unknown: a launch without its batch is not
 *   held);
 * - stopped: its registration stopped (its lease ran out): the launch is left as it is, and the
 *   registration's resume tells the launcher of it again once the batch is registered.
 */
export type GateAnswer = 'registered' | 'stopped';

/**
 * Nothing of a batch starts before every one of its launches is written. Registration writes the
 * launches of a batch within its budget ready to launch (QUEUED) while the batch is still
 * REGISTERING, and flips the batch once the last one is written: the launcher asks the gate
 * before it acts on a launch, and the gate holds it while the registration holds its lease.
 */
export interface RegistrationGate {
  /**
   * Waits while the batch is being registered; throws a RetryableError when it still is after
   * the wait, so the record is delivered again later.
   */
  awaitRegistered(batchId: string): Promise<GateAnswer>;
  /** One look, no wait: false while the batch is REGISTERING. */
  isRegistered(batchId: string): Promise<boolean>;
}

type Look = { kind: 'registered' } | { kind: 'registering'; expiresAt?: string } | { kind: 'stopped' };

/** Batches remembered as registered at most; a process that outlives more reads old ones again. */
const REMEMBERED = 10_000;

/**
 * A gate that remembers the batches it saw registered (a batch never goes back to REGISTERING),
 * so it reads each batch about once per process, and shares one look among the launches of a
 * batch that ask at the same time.
 */
export function makeRegistrationGate(deps: RegistrationGateDeps): RegistrationGate {
  const registered = new Set<string>();
  const looking = new Map<string, Promise<GateAnswer>>();

  async function read(batchId: string): Promise<Look> {
    const batch = await deps.batches.get(batchId);
    if (batch?.status === 'REGISTERING') {
      const expires = batch.registrationExpiresAt ? Date.parse(batch.registrationExpiresAt) : Number.NaN;
      if (deps.now().getTime() > expires + LEASE_GRACE_MS) return { kind: 'stopped' };
      return { kind: 'registering', expiresAt: batch.registrationExpiresAt };
    }
    if (registered.size >= REMEMBERED) registered.clear();
    if (batch) registered.add(batchId);
    return { kind: 'registered' };
  }

  async function look(batchId: string): Promise<GateAnswer> {
    const started = deps.now().getTime();
    for (;;) {
      const seen = await read(batchId);
      if (seen.kind !== 'registering') return seen.kind;
      const waited = deps.now().getTime() - started;
      if (waited >= deps.waitMs) {
        throw new RetryableError(
          'BATCH_NOT_REGISTERED',
          `batch ${batchId} is still being registered after ${Math.round(waited / 1000)} s ` +
            `(lease until ${seen.expiresAt ?? 'unknown'}); its launches wait for it`,
        );
      }
      await deps.sleep(Math.min(deps.pollMs, deps.waitMs - waited));
    }
  }

  return {
    async awaitRegistered(batchId) {
      if (registered.has(batchId)) return 'registered';
      let pending = looking.get(batchId);
      if (!pending) {
        pending = look(batchId).finally(() => looking.delete(batchId));
        looking.set(batchId, pending);
      }
      return pending;
    },
    async isRegistered(batchId) {
      return registered.has(batchId) || (await read(batchId)).kind === 'registered';
    },
  };
}
