import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { InternalServerException, type OmicsClient, ThrottlingException } from '@aws-sdk/client-omics';
import type { DynamoDBBatchResponse, DynamoDBRecord, S3Event } from 'aws-lambda';
import { GwmError } from '../../domain/errors.js';
import type { Notifier } from '../../domain/notifications.js';
import type { RunStatusChangeEvent } from './engine/index.js';

/**
 * Seeded fault injection for the embedded runtime (the chaos harness, bench/chaos/). Every decision
 * is a pure function of the seed, the fault point, its target and how many times that target was
 * seen, so a replayed seed makes the same decision at the same point whatever the timing; every
 * fault injected is reported with its kind and target.
 */

/** How often each fault fires, 0..1, per opportunity. */
export interface FaultRates {
  /** An S3 notification delivered twice. */
  s3Duplicate: number;
  /** An S3 notification delivered again later (seconds later: often after its batch finished). */
  s3Late: number;
  /** A stream batch handed to a consumer again after it succeeded. */
  streamRedeliver: number;
  /** A handler invocation that dies at a random point between its port calls. */
  handlerCrash: number;
  /** A run status event delivered twice. */
  eventDuplicate: number;
  /** A run status event held back and delivered after later ones. */
  eventReorder: number;
  /** A run status event never delivered. */
  eventDrop: number;
  /** A StartRun call answered ThrottlingException (429) without reaching the engine. */
  startRunThrottle: number;
  /** A StartRun call answered InternalServerException (500) without reaching the engine. */
  startRunServerError: number;
  /** A notification send that fails. */
  notifierFailure: number;
}

export const FAULT_RATE_NAMES = [
  's3Duplicate',
  's3Late',
  'streamRedeliver',
  'handlerCrash',
  'eventDuplicate',
  'eventReorder',
  'eventDrop',
  'startRunThrottle',
  'startRunServerError',
  'notifierFailure',
] as const satisfies readonly (keyof FaultRates)[];

export const NO_FAULTS: FaultRates = Object.fromEntries(FAULT_RATE_NAMES.map((name) => [name, 0])) as never;

export interface FaultPlan {
  seed: string;
  rates: FaultRates;
  /**
   * Every notification send fails from the first attempt for this batch until `outageMs` later:
   * longer than the stream's retries, so only a resumable notification survives it.
   */
  notifierOutage?: { batchIndex: number; outageMs: number };
  /** Longest delay of a late S3 event, a reordered or a duplicated run event (ms). */
  maxDelayMs?: { s3Late: number; event: number };
}

export interface InjectedFault {
  kind: string;
  target: string;
  /** Which time this target was seen at this fault point (0 first): with the seed, the decision's input. */
  occurrence: number;
  detail?: string;
  at: string;
}

export type FaultErrorCode = 'INJECTED_CRASH' | 'INJECTED_NOTIFIER_FAILURE';

/** A failure the harness made: the handler "died" (the invocation fails) or a dependency refused. */
export class InjectedFaultError extends GwmError {
  constructor(code: FaultErrorCode, message: string) {
    super(code, message);
    this.name = 'InjectedFaultError';
  }
}

/** Which rate decides each kind of fault the stack reports (the notifier outage is planned, not rolled). */
export const FAULT_KIND_RATES: Record<string, keyof FaultRates> = {
  's3-duplicate': 's3Duplicate',
  's3-late': 's3Late',
  'stream-redeliver': 'streamRedeliver',
  'handler-crash': 'handlerCrash',
  'event-duplicate': 'eventDuplicate',
  'event-reorder': 'eventReorder',
  'event-drop': 'eventDrop',
  'startrun-throttle': 'startRunThrottle',
  'startrun-5xx': 'startRunServerError',
  'notifier-failure': 'notifierFailure',
};

/** StartRun answered with an error without reaching the engine, in the order they are rolled. */
const STARTRUN_FAULTS = [
  ['startrun-throttle', 'startRunThrottle', ThrottlingException, 'Rate exceeded (injected)', 429],
  ['startrun-5xx', 'startRunServerError', InternalServerException, 'Internal failure (injected)', 500],
] as const;

/**
 * Whether the plan makes this fault at this point: what a replay of the seed decides. Every fault
 * a run reports must replay as made; that is what makes a seed reproduce its faults.
 */
export function replaysAsInjected(
  plan: FaultPlan,
  fault: Pick<InjectedFault, 'kind' | 'target' | 'occurrence'>,
): boolean {
  const rate = FAULT_KIND_RATES[fault.kind];
  if (!rate) return fault.kind === 'notifier-outage' && plan.notifierOutage !== undefined;
  return seededUnit(plan.seed, fault.kind, fault.target, fault.occurrence) < plan.rates[rate];
}

/** A number in [0, 1) from the seed and the parts: the same parts always give the same number. */
export function seededUnit(seed: string, ...parts: Array<string | number>): number {
  const digest = createHash('sha256')
    .update([seed, ...parts].join('\u0000'))
    .digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

type StreamHandler = (event: { Records: DynamoDBRecord[] }) => Promise<DynamoDBBatchResponse | undefined>;

/** The hooks `startLocalStack` puts at its boundaries when given a fault plan. */
export interface StackFaults {
  intake(handler: (event: S3Event) => Promise<void>): (event: S3Event) => Promise<void>;
  stream(consumer: string, handler: StreamHandler): StreamHandler;
  runEventTarget(handler: (event: unknown) => Promise<void>): (event: unknown) => Promise<void>;
  reconcile(run: () => Promise<void>): () => Promise<void>;
  /** Between the engine and the event router: duplicates, holds back and drops run status events. */
  runEvents(deliver: (event: RunStatusChangeEvent) => void): (event: RunStatusChangeEvent) => void;
  /** StartRun answered 429 or 500 at the SDK level, as the real service answers when it refuses. */
  omics(client: OmicsClient): void;
  notifier(notifier: Notifier): Notifier;
  /** The handlers' ports: each call may be where the current invocation dies. */
  dependencies<T extends object>(deps: T): T;
}

/** Port fields of the use cases' dependency objects (functions/adapters/dependencies.ts). */
const PORT_FIELDS = new Set([
  'launches',
  'batches',
  'ledger',
  'engine',
  'notifier',
  'profiles',
  'logs',
  'pacer',
]);
const USE_CASES = ['intake', 'launcher', 'tracker', 'reconciler', 'aggregator'] as const;

interface Invocation {
  handler: string;
  /** The crash decision's target and occurrence, as reported. */
  target: string;
  occurrence: number;
  calls: number;
  /** The port call at which it dies, and whether before or after the call reaches the port. */
  crashAt?: { call: number; when: 'before' | 'after' };
  crashed: boolean;
}

const MAX_CRASH_POINT = 8;

export function makeStackFaults(plan: FaultPlan, record: (fault: InjectedFault) => void): StackFaults {
  const { seed, rates } = plan;
  const maxDelay = { s3Late: 20_000, event: 1_500, ...plan.maxDelayMs };
  const seen = new Map<string, number>();
  const invocation = new AsyncLocalStorage<Invocation>();
  const batchIndexes = new Map<string, number>();
  let outage: { batchId: string; until: number } | undefined;

  /** Decides one fault at one point: occurrence counts per (kind, target), so replays line up. */
  function decide(
    kind: string,
    target: string,
    rate: number,
  ): { fire: boolean; occurrence: number; roll: number } {
    const key = `${kind}\u0000${target}`;
    const occurrence = seen.get(key) ?? 0;
    seen.set(key, occurrence + 1);
    if (rate <= 0) return { fire: false, occurrence, roll: 1 };
    const roll = seededUnit(seed, kind, target, occurrence);
    return { fire: roll < rate, occurrence, roll };
  }
  function note(kind: string, target: string, occurrence: number, detail?: string) {
    record({ kind, target, occurrence, ...(detail ? { detail } : {}), at: new Date().toISOString() });
  }
  /** A fault that answers the call with an error: when it fires, noted, the error is thrown. */
  function failIf(kind: string, target: string, rate: number, error: () => Error): void {
    const { fire, occurrence } = decide(kind, target, rate);
    if (!fire) return;
    note(kind, target, occurrence);
    throw error();
  }
  const draw = (kind: string, target: string, occurrence: number, what: string) =>
    seededUnit(seed, kind, target, occurrence, what);

  async function invoke<T>(handler: string, target: string, run: () => Promise<T>): Promise<T> {
    const key = `${handler}:${target}`;
    const { fire, occurrence } = decide('handler-crash', key, rates.handlerCrash);
    const state: Invocation = { handler, target: key, occurrence, calls: 0, crashed: false };
    if (fire) {
      const call = Math.floor(draw('handler-crash', key, occurrence, 'call') * MAX_CRASH_POINT);
      const when = draw('handler-crash', key, occurrence, 'when') < 0.5 ? 'before' : 'after';
      state.crashAt = { call, when };
    }
    const result = await invocation.run(state, run).catch((error: unknown) => {
      if (state.crashed) throw crashError(state);
      throw error;
    });
    // A crash the handler caught and turned into a value still ends the invocation: the process died.
    if (state.crashed) throw crashError(state);
    if (state.crashAt) {
      // Fewer port calls than the crash point: it dies at the end, after its last write.
      state.crashed = true;
      note('handler-crash', key, occurrence, `after its last port call (${state.calls} calls)`);
      throw crashError(state);
    }
    return result;

    function crashError(s: Invocation) {
      return new InjectedFaultError(
        'INJECTED_CRASH',
        `${s.handler} crashed (injected) at port call ${s.calls}`,
      );
    }
  }

  function portCall(port: string, method: string, call: () => unknown): unknown {
    const state = invocation.getStore();
    if (!state) return call();
    const dead = () => new InjectedFaultError('INJECTED_CRASH', `${state.handler} is dead (injected crash)`);
    if (state.crashed) throw dead();
    const index = state.calls;
    state.calls += 1;
    const crashHere = state.crashAt && state.crashAt.call === index;
    if (crashHere && state.crashAt?.when === 'before') {
      state.crashed = true;
      note('handler-crash', state.target, state.occurrence, `before ${port}.${method} (port call ${index})`);
      throw dead();
    }
    const result = call();
    if (!crashHere) return result;
    return Promise.resolve(result).then(() => {
      state.crashed = true;
      note('handler-crash', state.target, state.occurrence, `after ${port}.${method} (port call ${index})`);
      throw dead();
    });
  }

  function proxyPort<P extends object>(port: string, target: P): P {
    return new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => portCall(port, String(property), () => value.apply(object, args));
      },
    });
  }

  return {
    intake(handler) {
      return async (event) => {
        const key = event.Records.map((r) => `${r.s3.bucket.name}/${r.s3.object.key}`).join(',');
        const deliver = () => invoke('intake', key, () => handler(event));
        const late = decide('s3-late', key, rates.s3Late);
        if (late.fire) {
          const delay = Math.floor(draw('s3-late', key, late.occurrence, 'delay') * maxDelay.s3Late);
          note('s3-late', key, late.occurrence, `again after ${delay} ms`);
          setTimeout(() => {
            void deliver().catch(() => {});
          }, delay).unref();
        }
        const duplicate = decide('s3-duplicate', key, rates.s3Duplicate);
        if (duplicate.fire) {
          note('s3-duplicate', key, duplicate.occurrence);
          const twin = deliver().catch(() => {});
          await deliver();
          await twin;
          return;
        }
        await deliver();
      };
    },

    stream(consumer, handler) {
      return async (event) => {
        const first = event.Records[0]?.dynamodb?.SequenceNumber ?? 'none';
        const target = `${consumer}:${first}+${event.Records.length}`;
        const answer = await invoke(consumer, target, () => handler(event));
        const redeliver = decide('stream-redeliver', target, rates.streamRedeliver);
        if (!redeliver.fire) return answer;
        if (draw('stream-redeliver', target, redeliver.occurrence, 'mode') < 0.5) {
          note('stream-redeliver', target, redeliver.occurrence, 'handled twice in a row');
          return invoke(consumer, `${target}#again`, () => handler(event));
        }
        note('stream-redeliver', target, redeliver.occurrence, 'reported failed after success');
        return {
          batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.dynamodb?.SequenceNumber ?? '' })),
        };
      };
    },

    runEventTarget(handler) {
      return (event) => {
        const detail = (event as RunStatusChangeEvent).detail;
        return invoke('run-status', `${detail?.runName ?? detail?.runId}:${detail?.status}`, () =>
          handler(event),
        );
      };
    },

    reconcile(run) {
      let runs = 0;
      return () => {
        runs += 1;
        return invoke('reconciler', `run-${runs}`, run);
      };
    },

    runEvents(deliver) {
      return (event) => {
        const target = `${event.detail.runName ?? event.detail.runId}:${event.detail.status}`;
        const drop = decide('event-drop', target, rates.eventDrop);
        if (drop.fire) {
          note('event-drop', target, drop.occurrence);
          return;
        }
        const duplicate = decide('event-duplicate', target, rates.eventDuplicate);
        if (duplicate.fire) {
          const delay = Math.floor(
            draw('event-duplicate', target, duplicate.occurrence, 'delay') * maxDelay.event,
          );
          note('event-duplicate', target, duplicate.occurrence, `again after ${delay} ms`);
          setTimeout(() => deliver(event), delay).unref();
        }
        const reorder = decide('event-reorder', target, rates.eventReorder);
        if (reorder.fire) {
          const delay = Math.floor(
            draw('event-reorder', target, reorder.occurrence, 'delay') * maxDelay.event,
          );
          note('event-reorder', target, reorder.occurrence, `held ${delay} ms`);
          setTimeout(() => deliver(event), delay).unref();
          return;
        }
        deliver(event);
      };
    },

    omics(client) {
      client.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName !== 'StartRunCommand') return next(args);
          const input = args.input as { requestId?: string };
          const target = input.requestId ?? 'no-request-id';
          for (const [kind, rate, Exception, message, httpStatusCode] of STARTRUN_FAULTS) {
            failIf(
              kind,
              target,
              rates[rate],
              () => new Exception({ message, $metadata: { httpStatusCode } }),
            );
          }
          return next(args);
        },
        { step: 'initialize', name: 'gwmChaosStartRun' },
      );
    },

    notifier(inner) {
      return {
        async send(notice) {
          const round = 'round' in notice ? notice.round : 0;
          const target = `${notice.kind}:${notice.batchId}:${round}`;
          if (plan.notifierOutage && notice.kind === 'batch-completed') {
            if (!batchIndexes.has(notice.batchId)) batchIndexes.set(notice.batchId, batchIndexes.size);
            if (!outage && batchIndexes.get(notice.batchId) === plan.notifierOutage.batchIndex) {
              outage = { batchId: notice.batchId, until: Date.now() + plan.notifierOutage.outageMs };
              note(
                'notifier-outage',
                notice.batchId,
                0,
                `every send fails for ${plan.notifierOutage.outageMs} ms`,
              );
            }
            if (outage?.batchId === notice.batchId && Date.now() < outage.until) {
              throw new InjectedFaultError('INJECTED_NOTIFIER_FAILURE', 'notifier outage (injected)');
            }
          }
          failIf(
            'notifier-failure',
            target,
            rates.notifierFailure,
            () => new InjectedFaultError('INJECTED_NOTIFIER_FAILURE', 'notification send failed (injected)'),
          );
          await inner.send(notice);
        },
      };
    },

    dependencies<T extends object>(deps: T): T {
      const wrapped: Record<string, unknown> = { ...(deps as Record<string, unknown>) };
      const wrapUseCase = (useCase: Record<string, unknown>): Record<string, unknown> =>
        Object.fromEntries(
          Object.entries(useCase).map(([field, value]) => {
            if (field === 'launcher' && value && typeof value === 'object')
              return [field, wrapUseCase(value as Record<string, unknown>)];
            if (PORT_FIELDS.has(field) && value && typeof value === 'object')
              return [field, proxyPort(field, value)];
            return [field, value];
          }),
        );
      for (const name of USE_CASES) {
        const useCase = wrapped[name];
        if (useCase && typeof useCase === 'object')
          wrapped[name] = wrapUseCase(useCase as Record<string, unknown>);
      }
      return wrapped as T;
    },
  };
}
