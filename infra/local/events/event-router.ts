import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { backoffMs } from '../../../domain/backoff.js';
import type { LocalLog } from '../local-log.js';
import { compilePattern, type EventMatcher } from './event-pattern.js';

/** One EventBridge rule with one target: the pattern is taken as given (functions/event-sources.ts). */
export interface RouterRule {
  name: string;
  pattern: object;
  /** Retries after the first failed delivery (EventBridge's RetryPolicy.MaximumRetryAttempts). */
  retryAttempts: number;
  target: (event: unknown) => Promise<void>;
}

export interface RouterStats {
  /** Events put on the router (whether or not a rule matched them). */
  received: number;
  /** Events matched, by rule name. */
  matched: Record<string, number>;
  /** Deliveries that still failed after their retries, now in the dead-letter file. */
  deadLettered: number;
}

export interface EventRouter {
  /** Takes the event and returns at once; matching rules deliver it later. */
  put(event: unknown): void;
  /** Resolves when every delivery of every event put so far has succeeded or been dead-lettered. */
  settle(): Promise<void>;
  stats(): RouterStats;
  /** Waits for deliveries in flight (retries included); events put afterwards go to the dead-letter file. */
  stop(): Promise<void>;
  /**
   * Stops at once: deliveries waiting their turn or their retry are dropped (their owner keeps
   * them elsewhere), the ones running are waited for and not retried; events put afterwards go to
   * the dead-letter file.
   */
  halt(): Promise<void>;
}

export interface EventRouterOptions {
  rules: RouterRule[];
  /** JSON lines `{ deadLetteredAt, rule, attempts, error, event }`, like a rule's dead-letter queue. */
  deadLetterFile: string;
  /** Wait before retry number `attempt` (1, 2, ...). Default 50 ms doubling, at most 2 s. */
  retryDelayMs?: (attempt: number) => number;
  /** Target calls in flight at once, across rules; more wait their turn. Default 16. */
  maxConcurrency?: number;
  log?: LocalLog;
  /** Told of each event a rule gave up on, once it is written to the dead-letter file. */
  onDeadLettered?: (rule: string, event: unknown) => void;
}

export const DEFAULT_ROUTER_CONCURRENCY = 16;

export function defaultRetryDelayMs(attempt: number): number {
  return backoffMs(attempt, { baseMs: 50, maxMs: 2000 });
}

interface Delivery {
  rule: CompiledRule;
  /** The event as JSON: each delivery hands its target a copy of its own, as EventBridge does. */
  json: string;
  /** Calls made so far. */
  attempts: number;
}

interface CompiledRule extends RouterRule {
  matches: EventMatcher;
}

/**
 * The local EventBridge bus: events are matched against each rule's pattern with the same matcher
 * the stream filters use, and delivered asynchronously to the rule's target, several at a time.
 * A failing target is retried with backoff, then the event is written to the dead-letter file;
 * one failing rule never holds back the others.
 */
export function createEventRouter(options: EventRouterOptions): EventRouter {
  const log: LocalLog = options.log ?? (() => {});
  const retryDelayMs = options.retryDelayMs ?? defaultRetryDelayMs;
  const maxConcurrency = options.maxConcurrency ?? DEFAULT_ROUTER_CONCURRENCY;
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) {
    throw new RangeError(`maxConcurrency must be a positive integer, got ${maxConcurrency}`);
  }
  // Compiled up front: a pattern EventBridge would refuse fails when the router is created.
  const rules: CompiledRule[] = options.rules.map((rule) => ({
    ...rule,
    matches: compilePattern(rule.pattern),
  }));
  const stats: RouterStats = {
    received: 0,
    matched: Object.fromEntries(rules.map((rule) => [rule.name, 0])),
    deadLettered: 0,
  };

  const ready: Delivery[] = [];
  const retryTimers = new Set<NodeJS.Timeout>();
  let running = 0;
  /** Deliveries not finished yet: waiting, running, between retries, or being dead-lettered. */
  let outstanding = 0;
  let idleWaiters: (() => void)[] = [];
  let stopping = false;
  let halted = false;
  // One write at a time, so lines of large events never interleave.
  let deadLetterWrites: Promise<void> = Promise.resolve();

  function begin(): void {
    outstanding += 1;
  }

  function finish(): void {
    outstanding -= 1;
    if (outstanding === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  // Targets are called on a later turn of the event loop, never inside put: the caller finishes
  // what it was doing (as with a real bus, where delivery takes a network hop at least).
  let pumpScheduled = false;
  function schedulePump(): void {
    if (pumpScheduled) return;
    pumpScheduled = true;
    setImmediate(() => {
      pumpScheduled = false;
      pump();
    });
  }

  function pump(): void {
    while (running < maxConcurrency) {
      const delivery = ready.shift();
      if (delivery === undefined) return;
      running += 1;
      void attempt(delivery).finally(() => {
        running -= 1;
        pump();
      });
    }
  }

  async function attempt(delivery: Delivery): Promise<void> {
    delivery.attempts += 1;
    try {
      await delivery.rule.target(JSON.parse(delivery.json));
      finish();
      return;
    } catch (error) {
      if (halted) {
        finish();
        return;
      }
      const retriesLeft = delivery.rule.retryAttempts - (delivery.attempts - 1);
      if (retriesLeft > 0) {
        const delay = retryDelayMs(delivery.attempts);
        log('warn', `rule ${delivery.rule.name}: target failed, retrying in ${delay} ms`, {
          rule: delivery.rule.name,
          attempt: delivery.attempts,
          retriesLeft,
          error: errorFields(error),
        });
        // The slot is given back while waiting: a failing target does not hold up other events.
        const timer = setTimeout(() => {
          retryTimers.delete(timer);
          ready.push(delivery);
          pump();
        }, delay);
        retryTimers.add(timer);
        return;
      }
      deadLetter(delivery.rule.name, delivery.json, delivery.attempts, error);
    }
  }

  function deadLetter(rule: string, json: string, attempts: number, error: unknown): void {
    stats.deadLettered += 1;
    log('error', `rule ${rule}: event dead-lettered after ${attempts} attempts`, {
      rule,
      deadLetterFile: options.deadLetterFile,
      error: errorFields(error),
    });
    const line = `${JSON.stringify({
      deadLetteredAt: new Date().toISOString(),
      rule,
      attempts,
      error: errorFields(error),
      event: JSON.parse(json),
    })}\n`;
    deadLetterWrites = deadLetterWrites
      .then(async () => {
        await mkdir(dirname(options.deadLetterFile), { recursive: true });
        await appendFile(options.deadLetterFile, line, 'utf8');
        options.onDeadLettered?.(rule, JSON.parse(json));
      })
      .catch((writeError: unknown) => {
        log('error', `could not write to the dead-letter file ${options.deadLetterFile}`, {
          rule,
          error: errorFields(writeError),
          line,
        });
      })
      .finally(finish);
  }

  function settle(): Promise<void> {
    if (outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => idleWaiters.push(resolve));
  }

  return {
    put(event) {
      // EventBridge only carries JSON; an event that is not JSON fails here, in the caller.
      const json = JSON.stringify(event);
      if (json === undefined) throw new TypeError('An event must be a JSON value.');
      stats.received += 1;
      const copy: unknown = JSON.parse(json);
      const matched = rules.filter((rule) => rule.matches(copy));
      for (const rule of matched) {
        stats.matched[rule.name] = (stats.matched[rule.name] ?? 0) + 1;
        begin();
        if (stopping) {
          deadLetter(rule.name, json, 0, new Error('the event router was stopped'));
          continue;
        }
        ready.push({ rule, json, attempts: 0 });
      }
      schedulePump();
    },
    settle,
    stats() {
      return { received: stats.received, matched: { ...stats.matched }, deadLettered: stats.deadLettered };
    },
    async stop() {
      stopping = true;
      await settle();
      for (const timer of retryTimers) clearTimeout(timer);
      retryTimers.clear();
    },
    async halt() {
      stopping = true;
      halted = true;
      for (const timer of retryTimers) {
        clearTimeout(timer);
        finish();
      }
      retryTimers.clear();
      for (const _dropped of ready.splice(0)) finish();
      await settle();
    },
  };
}

/** What a dead-letter line and a log line say about a failure. */
export function errorFields(error: unknown): { name: string; message: string; code?: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { name: 'Error', message: String(error) };
}
