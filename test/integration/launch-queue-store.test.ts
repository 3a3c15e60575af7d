import { describe, expect, it } from 'vitest';
import { makeBatchRepository } from '../../functions/adapters/batch-repository.js';
import { makeEntities } from '../../functions/adapters/entities.js';
import { makeLaunchQueueStore } from '../../functions/adapters/launch-queue-store.js';
import { makeLaunchRepository } from '../../functions/adapters/launch-repository.js';
import { aBatch, aLaunch } from '../support/launch-factory.js';
import { useTestTable } from '../support/local-aws.js';

describe('launch queue store', () => {
  const table = useTestTable('gwm-queue');
  const setup = () => {
    const entities = makeEntities(table.doc, table.tableName);
    const batches = makeBatchRepository(entities);
    return {
      launches: makeLaunchRepository(entities),
      batches,
      queue: makeLaunchQueueStore(entities),
    };
  };

  it('lists a batch’s waiting launches in sample order, and a team’s runs in flight, as their status moves', async () => {
    // Prepare: three waiting launches written out of sample order, one running, one finished
    const { launches, queue } = setup();
    const launch = (
      sampleId: string,
      order: number,
      status: 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'THROTTLED',
    ) => aLaunch({ batchId: 'q1', launchId: `q1/${sampleId}`, sampleId, order, status, team: 'lab-a' });
    await launches.putMany([
      launch('zeta', 0, 'QUEUED'),
      launch('alpha', 2, 'THROTTLED'),
      launch('mid', 1, 'QUEUED'),
      launch('run', 3, 'RUNNING'),
      launch('done', 4, 'COMPLETED'),
    ]);

    // Act / Assess: waiting in sample order (not id order), in flight by team
    expect(await queue.waiting('q1', 10)).toEqual(['q1/zeta', 'q1/mid', 'q1/alpha']);
    expect(await queue.waiting('q1', 2)).toEqual(['q1/zeta', 'q1/mid']);
    expect(await queue.inFlight('lab-a', 10)).toEqual(['q1/run']);
    expect(await queue.inFlight('lab-b', 10)).toEqual([]);

    // Act: the first one is claimed (SUBMITTING): it leaves the waiting list for the in-flight one
    const first = await launches.get('q1', 'q1/zeta');
    if (!first) throw new Error('launch missing');
    expect(
      await launches.replace(first, { ...first, status: 'SUBMITTING', revision: first.revision + 1 }),
    ).toBe('written');
    expect(await queue.waiting('q1', 10)).toEqual(['q1/mid', 'q1/alpha']);
    expect((await queue.inFlight('lab-a', 10)).sort()).toEqual(['q1/run', 'q1/zeta']);
  });

  it('lifts a pass once and counts every start, when two launchers serve the same turn at once', async () => {
    const { queue } = setup();
    expect(await queue.passes(['lab-a#normal'])).toEqual({ passes: new Map(), virtualPass: 0 });
    // Two launchers serve lab-a's returning flow at pass 8.3 (stride 0.1) at the same moment
    await Promise.all([queue.served('lab-a#normal', 0.1, 8.3), queue.served('lab-a#normal', 0.1, 8.3)]);
    await queue.served('lab-b#urgent', 0.01, 9);
    // A turn served at an earlier pass (a slower launcher) does not move the virtual pass back
    await queue.served('lab-a#normal', 0.1, 2);
    const { passes, virtualPass } = await queue.passes(['lab-a#normal', 'lab-b#urgent', 'lab-c#low']);
    // Lifted to 8.3 once, then three starts of 0.1 each
    expect(passes.get('lab-a#normal')).toBeCloseTo(8.6);
    expect(passes.get('lab-b#urgent')).toBeCloseTo(9.01);
    expect(passes.has('lab-c#low')).toBe(false);
    expect(virtualPass).toBe(9);
  });

  it('lists open batches with their team and priority', async () => {
    const { batches, queue } = setup();
    await batches.create(aBatch({ batchId: 'open-1', status: 'ACTIVE', team: 'lab-a', priority: 'urgent' }));
    await batches.create(aBatch({ batchId: 'done-1', status: 'COMPLETED', team: 'lab-a' }));
    const open = await queue.openBatches();
    const mine = open.find((batch) => batch.batchId === 'open-1');
    expect(mine).toMatchObject({ team: 'lab-a', priority: 'urgent' });
    expect(open.some((batch) => batch.batchId === 'done-1')).toBe(false);
  });
});
