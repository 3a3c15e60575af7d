import type { CreateEntityItem } from 'electrodb';
import { backoffMs } from '../../domain/backoff.js';
import { forEachConcurrently } from '../../domain/concurrency.js';
import { effectiveStatus, LAUNCH_STATUSES, type Launch, type LaunchStatus } from '../../domain/launch.js';
import type {
  InvalidItem,
  LaunchRepository,
  Page,
  PageRequest,
  TimeRange,
  WriteResult,
} from '../../domain/ports.js';
import { queueSlotOf } from '../../domain/scheduling/launch-queue.js';
import { waitingSinceOf } from '../../domain/scheduling/waiting.js';
import { conditionalWrite } from './dynamo-errors.js';
import type { Entities } from './entities.js';
import { CorruptItemError, launchRecord, readRecord } from './records.js';
import { type LaunchKey, makeStatusIndex } from './status-index.js';
import { statusShardOf } from './status-shards.js';

/** Between rounds of a BatchGetItem's unprocessed keys: 100 ms, doubling, at most 2 s. */
export const UNPROCESSED_BACKOFF = { baseMs: 100, maxMs: 2_000 };

const DEFAULT_PAGE = 100;
const NOTE_MAX = 2_000;
const BATCH_ROUNDS = 8;
/** Items per BatchWriteItem call and keys per BatchGetItem call (DynamoDB's limits). */
const BATCH_WRITE_MAX = 25;
const BATCH_GET_MAX = 100;
// ElectroDB turns `undefined` into nothing on put, which is what a full rewrite needs.
type Stored = CreateEntityItem<Entities['launch']>;

function toItem(launch: Launch): Stored {
  // What a person typed is read, never written back: the write puts the recorded status in place.
  const { typedStatus: _typed, ...stored } = launch;
  const slot = queueSlotOf(launch);
  // Derived keys: a sparse index takes all its keys or none (a launch from before teams has no team).
  return {
    ...stored,
    teamOrder: launch.team === undefined ? undefined : `${launch.createdAt}#${launch.launchId}`,
    queuePart: slot?.part,
    queueOrder: slot?.order,
    statusShard: statusShardOf(launch.launchId),
    waitingSince: waitingSinceOf(launch),
  };
}

// The status as stored, for launches whose `status` a person typed differently ("retry", "BOGUS"):
// the condition of the next write must compare against what is in the table, not the read value.
const storedStatus = new WeakMap<Launch, unknown>();

const KNOWN: ReadonlySet<string> = new Set(LAUNCH_STATUSES);

/**
 * People type the status by hand in the console: any case and stray spaces are accepted; a status
 * that is none of gwm's (a typo) does not make the item unreadable: the status gwm recorded is
 * read in its place and the typed text kept in `typedStatus`, for the launcher to put back.
 */
function toLaunch(item: unknown): Launch {
  const raw = (item as { status?: unknown }).status;
  const normalized = typeof raw === 'string' ? raw.trim().toUpperCase() : undefined;
  const known = normalized !== undefined && KNOWN.has(normalized);
  const launch = readRecord(
    launchRecord,
    'launch',
    known ? { ...(item as object), status: normalized } : { ...(item as object), status: 'REGISTERED' },
  );
  if (!known) {
    launch.typedStatus = typeof raw === 'string' ? raw : (JSON.stringify(raw) ?? '');
    launch.status = effectiveStatus(launch);
  }
  if (raw !== launch.status) storedStatus.set(launch, raw);
  return launch;
}

export interface LaunchRepositoryOptions {
  sleep?: (ms: number) => Promise<void>;
  writeConcurrency?: number;
  /** Told of every unreadable item met (log it, count it). */
  onInvalid?: (item: InvalidItem) => void;
  /**
   * Writes a `note` on an unreadable item saying what is wrong and how to fix it, conditional on
   * the item being unchanged since it was read (the handlers; not the read-only command line).
   */
  annotateInvalid?: boolean;
}

export function makeLaunchRepository(
  entities: Entities,
  options: LaunchRepositoryOptions = {},
): LaunchRepository {
  const { launch } = entities;
  const writeConcurrency = options.writeConcurrency ?? 4;
  const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const keyOf = (item: { batchId: string; launchId: string }) => `${item.batchId}\n${item.launchId}`;

  /** DynamoDB hands back what it could not do under load: back off, then send only those. */
  async function inRounds<T>(items: T[], attempt: (pending: T[]) => Promise<T[]>): Promise<void> {
    let pending = items;
    for (let round = 0; pending.length > 0; round++) {
      if (round >= BATCH_ROUNDS) {
        throw new Error(`${pending.length} launch items stayed unprocessed after ${BATCH_ROUNDS} rounds`);
      }
      if (round > 0) await sleep(backoffMs(round, UNPROCESSED_BACKOFF));
      pending = await attempt(pending);
    }
  }

  /** Keys of the items of `group` that exist in a status other than REGISTERED. */
  async function movedOn(group: Stored[]): Promise<Set<string>> {
    const moved = new Set<string>();
    await inRounds(group, async (pending) => {
      const keys = pending.map(({ batchId, launchId }) => ({ batchId, launchId }));
      const result = await launch
        .get(keys)
        .go({ consistent: true, attributes: ['batchId', 'launchId', 'status'] });
      for (const item of result.data) if (item.status !== 'REGISTERED') moved.add(keyOf(item));
      const unprocessed = new Set(result.unprocessed.map(keyOf));
      return pending.filter((item) => unprocessed.has(keyOf(item)));
    });
    return moved;
  }

  async function writeAll(items: Stored[]): Promise<void> {
    await inRounds(items, async (pending) => {
      const result = await launch.put(pending).go();
      const unprocessed = new Set(result.unprocessed.map(keyOf));
      return pending.filter((item) => unprocessed.has(keyOf(item)));
    });
  }

  /**
   * The launches at `keys` as the table holds them now (one consistent BatchGetItem per 100), in
   * the order of `keys`: the indexes hold keys and a few attributes, not whole launches. A key
   * whose item is gone is left out.
   */
  async function readWhole(keys: readonly LaunchKey[]): Promise<unknown[]> {
    const found = new Map<string, unknown>();
    for (let i = 0; i < keys.length; i += BATCH_GET_MAX) {
      await inRounds(keys.slice(i, i + BATCH_GET_MAX), async (pending) => {
        const result = await launch
          .get(pending.map(({ batchId, launchId }) => ({ batchId, launchId })))
          .go({ consistent: true });
        for (const item of result.data) found.set(keyOf(item), item);
        const unprocessed = new Set(result.unprocessed.map(keyOf));
        return pending.filter((key) => unprocessed.has(keyOf(key)));
      });
    }
    return keys.flatMap((key) => (found.has(keyOf(key)) ? [found.get(keyOf(key))] : []));
  }

  const statusIndex = makeStatusIndex(entities);
  const IDENTITY = ['batchId', 'launchId'] as const;
  /** The page asked for: where it starts (the last one's cursor) and how many launches it holds. */
  const pageOf = (request: PageRequest) => ({
    cursor: request.cursor ?? null,
    limit: request.limit ?? DEFAULT_PAGE,
  });
  /** A page of an index that keeps only the launches' keys, newest first: the launches are read whole after. */
  const newestKeysOf = (request: PageRequest) => ({
    ...pageOf(request),
    order: 'desc' as const,
    attributes: [...IDENTITY],
  });

  const annotate = async (raw: Record<string, unknown>, problem: InvalidItem) => {
    const { batchId, launchId, updatedAt, revision } = raw;
    if (typeof batchId !== 'string' || typeof launchId !== 'string') return;
    const note =
      `gwm cannot read this launch and skips it until it is fixed: ${problem.issues}. ` +
      'Correct the attribute(s) named (the README lists each attribute and its type); ' +
      'gwm reads the item again on its next change.';
    try {
      await launch
        .patch({ batchId, launchId })
        .set({ note: note.slice(0, NOTE_MAX) })
        .where((attr, op) =>
          [
            // Only the item as it was read: a person's fix made meanwhile is never overwritten.
            updatedAt === undefined
              ? op.notExists(attr.updatedAt)
              : op.eq(attr.updatedAt, updatedAt as string),
            revision === undefined ? op.notExists(attr.revision) : op.eq(attr.revision, revision as number),
            // Said once: a redelivered record or the next sweep writes nothing.
            `(${op.notExists(attr.note)} OR ${op.ne(attr.note, note.slice(0, NOTE_MAX))})`,
          ].join(' AND '),
        )
        .go({ response: 'none' });
    } catch {
      // A lost condition means it changed or is noted already; any other failure (throttling) only
      // costs the note: the item was reported, and a failed note never fails the read.
    }
  };

  const report = async (item: unknown, error: CorruptItemError): Promise<InvalidItem> => {
    const raw = (item ?? {}) as Record<string, unknown>;
    const problem: InvalidItem = {
      entity: error.entity,
      id: error.id,
      ...(typeof raw.batchId === 'string' ? { batchId: raw.batchId } : {}),
      issues: error.issues,
    };
    options.onInvalid?.(problem);
    if (options.annotateInvalid) await annotate(raw, problem);
    return problem;
  };

  const read = async (item: unknown): Promise<Launch> => {
    try {
      return toLaunch(item);
    } catch (error) {
      if (error instanceof CorruptItemError) await report(item, error);
      throw error;
    }
  };

  /** One unreadable item never fails the page: it is reported and left out. */
  const readPage = async (data: unknown[], cursor: string | null): Promise<Page<Launch>> => {
    const items: Launch[] = [];
    const skipped: InvalidItem[] = [];
    for (const item of data) {
      try {
        items.push(toLaunch(item));
      } catch (error) {
        if (!(error instanceof CorruptItemError)) throw error;
        skipped.push(await report(item, error));
      }
    }
    return { items, cursor: cursor ?? undefined, ...(skipped.length > 0 ? { skipped } : {}) };
  };

  const MIN_TIME = '0000';
  const MAX_TIME = '9999';

  return {
    async get(batchId, launchId) {
      const result = await launch.get({ batchId, launchId }).go({ consistent: true });
      return result.data ? read(result.data) : undefined;
    },

    async putMany(launches, options = {}) {
      // BatchWriteItem takes no condition and one conditional PutItem per launch costs about three
      // times as much, so each group is read first (one consistent BatchGetItem) and a launch that
      // exists in any status but REGISTERED is skipped: a late registration or a second QC write
      // never puts a launch that has moved on back to REGISTERED. Between the read and the write
      // a launch can only leave REGISTERED if its batch was registered and released by someone
      // else, which needs the writer's registration lease (renewed to at least half its length
      // before each chunk) to have expired first. A batch the caller created itself just now has
      // no launches to read.
      const groups: Stored[][] = [];
      for (let i = 0; i < launches.length; i += BATCH_GET_MAX) {
        groups.push(launches.slice(i, i + BATCH_GET_MAX).map(toItem));
      }
      await forEachConcurrently(groups, writeConcurrency, async (group) => {
        const moved = options.fresh ? new Set<string>() : await movedOn(group);
        const writable = group.filter((item) => !moved.has(keyOf(item)));
        for (let i = 0; i < writable.length; i += BATCH_WRITE_MAX) {
          await writeAll(writable.slice(i, i + BATCH_WRITE_MAX));
        }
      });
    },

    async replace(expected, next): Promise<WriteResult> {
      return conditionalWrite(() =>
        launch
          .put(toItem(next))
          .where((attr, op) => {
            const read = storedStatus.has(expected) ? storedStatus.get(expected) : expected.status;
            const status =
              read === undefined ? op.notExists(attr.status) : op.eq(attr.status, read as string);
            return `${op.eq(attr.revision, expected.revision)} AND ${status}`;
          })
          .go(),
      );
    },

    async findByRunId(runId) {
      const result = await launch.query.byRun({ runId }).go({ pages: 'all', attributes: [...IDENTITY] });
      // Read whole from the table, which also drops a launch whose run changed since the index saw it.
      const page = await readPage(await readWhole(result.data), null);
      return page.items
        .filter((item) => item.runId === runId)
        .sort((a, b) => (b.submittedAt ?? '').localeCompare(a.submittedAt ?? ''));
    },

    async listByBatch(batchId, request: PageRequest & { status?: LaunchStatus } = {}) {
      const query = launch.query.byBatch({ batchId });
      const filtered = request.status
        ? query.where((attr, op) => op.eq(attr.status, request.status as string))
        : query;
      const result = await filtered.go(pageOf(request));
      return readPage(result.data, result.cursor);
    },

    async listBySample(sampleId, request: PageRequest = {}) {
      const result = await launch.query.bySample({ sampleId }).go(newestKeysOf(request));
      return readPage(await readWhole(result.data), result.cursor);
    },

    async listByWorkflow(workflowId, range: TimeRange, request: PageRequest = {}) {
      const result = await launch.query
        .byWorkflow({ workflowId })
        .between({ createdAt: range.from ?? MIN_TIME }, { createdAt: range.to ?? MAX_TIME })
        .go(newestKeysOf(request));
      return readPage(await readWhole(result.data), result.cursor);
    },

    async listByTeam(team, range: TimeRange, request: PageRequest = {}) {
      // teamOrder is `<createdAt>#<launchId>`: a range of creation times is a range of it.
      const result = await launch.query
        .byTeam({ team })
        .between({ teamOrder: range.from ?? MIN_TIME }, { teamOrder: `${range.to ?? MAX_TIME}\uffff` })
        .go({ ...pageOf(request), order: 'desc' });
      return readPage(result.data, result.cursor);
    },

    async listByStatus(status, range: TimeRange, request: PageRequest = {}) {
      const { keys, cursor } = await statusIndex.page(status, range, request);
      const page = await readPage(await readWhole(keys), cursor ?? null);
      // As a consistent index would list them: a launch that moved on since the index saw it is not here.
      const from = range.from ?? MIN_TIME;
      const to = range.to ?? MAX_TIME;
      const items = page.items.filter(
        (item) => effectiveStatus(item) === status && item.updatedAt >= from && item.updatedAt <= to,
      );
      return { ...page, items };
    },
  };
}
