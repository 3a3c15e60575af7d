import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { Launch } from '../../domain/launch.js';
import { makeEntities } from '../../functions/adapters/entities.js';
import { makeLaunchRepository } from '../../functions/adapters/launch-repository.js';
import { makeWaitingLaunchReader } from '../../functions/adapters/status-index.js';
import { STATUS_SHARD_IDS, statusShardOf } from '../../functions/adapters/status-shards.js';
import { aLaunch, historyOf } from '../support/launch-factory.js';
import { useTestTable } from '../support/local-aws.js';

describe('the status index', () => {
  const table = useTestTable('gwm-tracker-index');
  const setup = () => {
    const entities = makeEntities(table.doc, table.tableName);
    return {
      entities,
      launches: makeLaunchRepository(entities),
      waiting: makeWaitingLaunchReader(entities),
    };
  };
  const queued = (batchId: string, i: number, overrides: Partial<Launch> = {}) =>
    aLaunch({
      batchId,
      launchId: `${batchId}/S${i}`,
      sampleId: `S${i}`,
      status: 'QUEUED',
      updatedAt: new Date(Date.UTC(2026, 10, 20, 10, 0, i)).toISOString(),
      ...overrides,
    });

  it('lists the launches of a status from every shard, newest update first, each once across pages', async () => {
    // Prepare: 40 QUEUED launches of one batch, spread over all shards, and one RUNNING
    const { launches } = setup();
    const all = Array.from({ length: 40 }, (_, i) => queued('sx1', i));
    expect(new Set(all.map((launch) => statusShardOf(launch.launchId)))).toEqual(new Set(STATUS_SHARD_IDS));
    await launches.putMany([...all, queued('sx1', 99, { status: 'RUNNING' })]);
    // Act
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await launches.listByStatus('QUEUED', {}, { limit: 7, cursor });
      expect(page.items.length).toBeLessThanOrEqual(7);
      seen.push(...page.items.map((launch) => launch.launchId));
      cursor = page.cursor;
    } while (cursor);
    // Assess
    expect(seen).toEqual([...all].reverse().map((launch) => launch.launchId));
    const recent = await launches.listByStatus('QUEUED', { from: '2026-11-20T10:00:30.000Z' });
    expect(recent.items.map((launch) => launch.sampleId)).toEqual([
      'S39',
      'S38',
      'S37',
      'S36',
      'S35',
      'S34',
      'S33',
      'S32',
      'S31',
      'S30',
    ]);
  });

  it('copies keys and the projected attributes only; the launch is read whole from the table', async () => {
    // Prepare
    const { entities, launches } = setup();
    const launch = queued('sx2', 1, { team: 'lab-a' });
    await launches.putMany([launch]);
    // Act: the index as DynamoDB holds it, and the launch as the repository lists it
    const params = entities.launch.query
      .byStatus({ status: 'QUEUED', statusShard: statusShardOf(launch.launchId) })
      .params();
    const raw = await table.doc.send(new QueryCommand(params));
    const listed = await launches.listByStatus('QUEUED', {});
    // Assess
    const indexed = raw.Items?.find((item) => item.launchId === launch.launchId);
    expect(indexed).toMatchObject({
      launchId: launch.launchId,
      team: 'lab-a',
      waitingSince: launch.createdAt,
    });
    expect(indexed).not.toHaveProperty('statusHistory');
    expect(indexed).not.toHaveProperty('inputs');
    expect(listed.items.find((item) => item.launchId === launch.launchId)?.statusHistory).toEqual(
      launch.statusHistory,
    );
  });

  it('reads waiting launches with their team and the time they started waiting, from the index alone', async () => {
    // Prepare: one launch QUEUED, then throttled once (waiting since it was QUEUED), one retried
    // after a failure (waiting since the retry), one running
    const { launches, waiting } = setup();
    const at = (minute: number) => new Date(Date.UTC(2026, 10, 21, 9, minute)).toISOString();
    await launches.putMany([
      queued('sx3', 1, {
        team: 'lab-a',
        status: 'THROTTLED',
        statusHistory: historyOf(
          ['REGISTERED', at(0)],
          ['QUEUED', at(1)],
          ['SUBMITTING', at(5)],
          ['THROTTLED', at(6)],
        ),
        updatedAt: at(6),
      }),
      queued('sx3', 2, {
        status: 'THROTTLED',
        statusHistory: historyOf(
          ['QUEUED', at(0)],
          ['FAILED', at(10), 'event'],
          ['RETRY', at(20), 'console'],
          ['SUBMITTING', at(21)],
          ['THROTTLED', at(22)],
        ),
        updatedAt: at(22),
      }),
      queued('sx3', 3, { status: 'RUNNING', updatedAt: at(30) }),
    ]);
    // Act
    const read: Array<{ status: string; team?: string; waitingSince: string }> = [];
    let cursor: string | undefined;
    do {
      const page = await waiting.listWaiting('THROTTLED', { cursor, limit: 1 });
      read.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    // Assess
    expect(read.sort((a, b) => a.waitingSince.localeCompare(b.waitingSince))).toEqual([
      { status: 'THROTTLED', team: 'lab-a', waitingSince: at(1) },
      { status: 'THROTTLED', waitingSince: at(21) },
    ]);
  });
});
