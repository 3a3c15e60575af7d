import { describe, expect, it } from 'vitest';
import { DEFAULT_FAULTS, makePlan, parseFaults, stackFaultPlan } from '../../bench/chaos/plan.js';
import type { RunStatusChangeEvent } from '../../infra/local/engine/index.js';
import {
  type FaultPlan,
  type InjectedFault,
  InjectedFaultError,
  makeStackFaults,
  NO_FAULTS,
  replaysAsInjected,
} from '../../infra/local/faults.js';

const planInput = {
  samples: 40,
  batches: 3,
  faults: DEFAULT_FAULTS,
  runSeconds: 2,
  failRate: 0.1,
  startRunRate: 40,
  cancelSupported: true,
};

function runEvent(runName: string, status: RunStatusChangeEvent['detail']['status']): RunStatusChangeEvent {
  return {
    version: '0',
    id: `${runName}:${status}`,
    'detail-type': 'Run Status Change',
    source: 'aws.omics',
    account: '123456789012',
    time: '2026-01-01T00:00:00.000Z',
    region: 'us-east-1',
    resources: [],
    detail: {
      omicsVersion: '1.0.0',
      arn: 'arn:aws:omics:us-east-1:123456789012:run/1',
      status,
      uuid: 'u',
      runId: '1',
      runName,
      runOutputUri: 's3://b/o/1/',
      workflowId: '1',
      workflowName: 'w',
    },
  };
}

/** Drives the run-event hook over the same events and returns what it injected and delivered. */
function throughEventFaults(plan: FaultPlan) {
  const injected: InjectedFault[] = [];
  const delivered: string[] = [];
  const deliver = makeStackFaults(plan, (fault) => injected.push(fault)).runEvents((event) =>
    delivered.push(event.id),
  );
  for (let n = 0; n < 200; n += 1) deliver(runEvent(`B-S${n}-1`, n % 2 === 0 ? 'RUNNING' : 'COMPLETED'));
  return { injected: injected.map(({ at: _at, ...fault }) => fault), delivered };
}

describe('the chaos plan', () => {
  it('is the same for the same seed and differs for another seed', () => {
    // Prepare / Act
    const first = makePlan({ ...planInput, seed: '41' });
    const again = makePlan({ ...planInput, seed: '41' });
    const other = makePlan({ ...planInput, seed: '42' });
    // Assess
    expect(again).toEqual(first);
    expect(first.kills).toHaveLength(1);
    expect(other.kills).not.toEqual(first.kills);
    expect(first.batches.flatMap((batch) => batch.sampleIds)).toHaveLength(40);
  });

  it('plans no CANCEL edit when the code under test does not accept CANCEL', () => {
    const plan = makePlan({
      ...planInput,
      seed: '7',
      faults: parseFaults('consoleCancel=1'),
      cancelSupported: false,
    });
    expect(plan.timedEdits.filter((edit) => edit.kind === 'cancel')).toEqual([]);
  });

  it('reads --faults as the defaults or none, with overrides, and refuses unknown names', () => {
    expect(parseFaults('none,eventDrop=0.05,kills=2')).toMatchObject({
      eventDrop: 0.05,
      kills: 2,
      handlerCrash: 0,
    });
    expect(parseFaults('all').startRunThrottle).toBe(0.5);
    expect(() => parseFaults('evntDrop=0.1')).toThrow(/unknown fault "evntDrop"/);
    expect(() => parseFaults('eventDrop=2')).toThrow(/at most 1/);
  });
});

describe('the stack fault hooks', () => {
  it('make the same decisions for a replayed seed, each of which replays from the seed alone', () => {
    // Prepare
    const plan = stackFaultPlan(makePlan({ ...planInput, seed: '5' }), 0);
    // Act
    const first = throughEventFaults(plan);
    const replay = throughEventFaults(plan);
    // Assess
    expect(replay.injected).toEqual(first.injected);
    expect(first.injected.map((f) => f.kind)).toEqual(
      expect.arrayContaining(['event-drop', 'event-duplicate', 'event-reorder']),
    );
    expect(first.injected.every((fault) => replaysAsInjected(plan, fault))).toBe(true);
  });

  it('drops every run event at a drop rate of 1, and delivers each twice at a duplicate rate of 1', async () => {
    const dropAll = throughEventFaults({ seed: 's', rates: { ...NO_FAULTS, eventDrop: 1 } });
    expect(dropAll.delivered).toEqual([]);
    const delivered: string[] = [];
    const deliver = makeStackFaults(
      { seed: 's', rates: { ...NO_FAULTS, eventDuplicate: 1 }, maxDelayMs: { s3Late: 0, event: 1 } },
      () => {},
    ).runEvents((event) => delivered.push(event.id));
    deliver(runEvent('B-S1-1', 'COMPLETED'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(delivered).toEqual(['B-S1-1:COMPLETED', 'B-S1-1:COMPLETED']);
  });

  it('kills a crashing invocation: no port call reaches the port after the crash, and the handler fails', async () => {
    // Prepare: every invocation crashes; the handler swallows errors, as a careless handler might.
    const injected: InjectedFault[] = [];
    const faults = makeStackFaults({ seed: 'c', rates: { ...NO_FAULTS, handlerCrash: 1 } }, (f) =>
      injected.push(f),
    );
    const reached: number[] = [];
    const port = {
      async write(n: number) {
        reached.push(n);
      },
    };
    const deps = faults.dependencies({ launcher: { launches: port } });
    const handler = faults.stream('launcher', async () => {
      for (let n = 0; n < 12; n += 1) await deps.launcher.launches.write(n).catch(() => {});
      return { batchItemFailures: [] };
    });
    // Act
    const outcome = handler({ Records: [{ dynamodb: { SequenceNumber: '100' } }] });
    // Assess
    await expect(outcome).rejects.toBeInstanceOf(InjectedFaultError);
    expect(injected).toHaveLength(1);
    const crashPoint = reached.length;
    expect(crashPoint).toBeLessThan(12);
    expect(reached).toEqual(Array.from({ length: crashPoint }, (_, n) => n));
    expect(injected[0]?.detail).toMatch(/(before|after) launches\.write/);
  });

  it('answers StartRun with the SDK exceptions the service sends when it refuses', async () => {
    const { OmicsClient, StartRunCommand } = await import('@aws-sdk/client-omics');
    const client = new OmicsClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 1,
    });
    makeStackFaults({ seed: 't', rates: { ...NO_FAULTS, startRunThrottle: 1 } }, () => {}).omics(client);
    const error = await client
      .send(new StartRunCommand({ requestId: 'b/s/1', roleArn: 'r', workflowId: '1', outputUri: 's3://b/' }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } });
    client.destroy();
  });
});
