import { describe, expect, it } from 'vitest';
import { checkInvariants, type Evidence, type InvariantName } from '../../bench/chaos/invariants.js';
import type { BatchItem, LaunchItem } from '../../bench/chaos/observe.js';
import { makePlan, parseFaults } from '../../bench/chaos/plan.js';
import { NO_COUNTS } from '../../domain/batch.js';

const plan = makePlan({
  seed: '1',
  samples: 2,
  batches: 1,
  faults: parseFaults('none'),
  runSeconds: 1,
  failRate: 0,
  startRunRate: 10,
  cancelSupported: false,
});
const name = plan.batches[0]?.name ?? '';

function launch(sampleId: string, status = 'COMPLETED', attempt = 1): LaunchItem {
  return {
    launchId: `b1/${sampleId}`,
    batchId: 'b1',
    batchName: name,
    sampleId,
    kind: 'SAMPLE',
    status,
    attempt,
  };
}

/** A finished, notified batch of two completed samples, each with its one run, and the engine agreeing. */
function healthy(): Evidence {
  const batch: BatchItem = {
    batchId: 'b1',
    name,
    status: 'COMPLETED',
    sampleCount: 2,
    counts: { ...NO_COUNTS, succeeded: 2 },
    round: 1,
    qcState: 'NONE',
    notifiedRound: 1,
    notificationState: 'SENT',
    cost: { totalUsd: 0.5, runsPriced: 2 },
  };
  const priced = (sampleId: string, runId: string, totalUsd: number) => ({
    launch: { ...launch(sampleId), runId, cost: { totalUsd, attempt: 1 } },
    mark: {
      batchId: 'b1',
      launchId: `b1/${sampleId}`,
      attempt: 1,
      runId,
      state: 'PRICED',
      cost: { totalUsd, attempt: 1 },
    },
  });
  const first = priced('S00001', '1', 0.2);
  const second = priced('S00002', '2', 0.3);
  return {
    plan: { ...plan, batches: plan.batches.map((b) => ({ ...b, sampleIds: ['S00001', 'S00002'] })) },
    table: {
      launches: [first.launch, second.launch],
      batches: [batch],
      costMarks: [first.mark, second.mark],
    },
    engineRuns: [
      { id: '1', name: `${name}-S00001-1`, status: 'COMPLETED' },
      { id: '2', name: `${name}-S00002-1`, status: 'COMPLETED' },
    ],
    runEvents: [
      { life: 0, at: 't', runId: '1', uuid: 'u1', runName: `${name}-S00001-1`, status: 'COMPLETED' },
      { life: 0, at: 't', runId: '2', uuid: 'u2', runName: `${name}-S00002-1`, status: 'COMPLETED' },
    ],
    notices: [{ batchId: 'b1', round: 1, time: 't' }],
    deadLetters: [],
    edits: [],
    leftovers: [],
    restartFailures: [],
    stackStops: 1,
  };
}

function broken(evidence: Evidence): Partial<Record<InvariantName, number>> {
  return Object.fromEntries(
    checkInvariants(evidence)
      .filter((result) => result.violations.length > 0)
      .map((result) => [result.name, result.violations.length]),
  );
}

describe('the chaos invariants', () => {
  it('find nothing wrong with a batch that ended as its engine runs say', () => {
    expect(broken(healthy())).toEqual({});
  });

  it('find a second run for one attempt, and a run the engine no longer knows', () => {
    const evidence = healthy();
    evidence.runEvents.push({
      life: 1,
      at: 't',
      runId: '1',
      uuid: 'u3',
      runName: `${name}-S00001-1`,
      status: 'COMPLETED',
    });
    evidence.engineRuns = [{ id: '1', name: `${name}-S00001-1`, status: 'COMPLETED' }];
    const result = checkInvariants(evidence).find((r) => r.name === 'one-run-per-attempt');
    expect(result?.violations.map((v) => v.detail)).toEqual([
      expect.stringMatching(/attempt 1: 2 runs/),
      expect.stringMatching(/run 2 .* no longer known to the engine/),
    ]);
  });

  it("find a launch whose status is not its run's, and the counts that follow it", () => {
    const evidence = healthy();
    evidence.table.launches[1] = launch('S00002', 'RUNNING');
    expect(broken(evidence)).toMatchObject({
      'launch-matches-engine': 1,
      // the counts, and the COMPLETED status one RUNNING sample cannot have
      'batch-counts': 2,
      'nothing-left-non-terminal': 1,
    });
  });

  it('find a round notified twice, and a RETRY the launch never took', () => {
    const evidence = healthy();
    evidence.notices.push({ batchId: 'b1', round: 1, time: 't2' });
    evidence.edits.push({
      at: 't',
      launchId: 'b1/S00001',
      kind: 'retry',
      value: 'RETRY',
      statusBefore: 'FAILED',
      attemptBefore: 1,
    });
    expect(broken(evidence)).toEqual({ 'one-notification-per-round': 1, 'one-run-per-attempt': 1 });
  });

  it('accept either attempt for a RETRY a later edit typed over before gwm may have read it, and no other', () => {
    // Prepare: S00001 failed, RETRY typed, then CANCEL typed while the item still showed RETRY
    const evidence = healthy();
    const retry = {
      at: 't1',
      launchId: 'b1/S00001',
      kind: 'retry',
      value: 'RETRY',
      attemptBefore: 1,
    } as const;
    const cancel = {
      at: 't2',
      launchId: 'b1/S00001',
      kind: 'cancel',
      value: 'CANCEL',
      attemptBefore: 1,
    } as const;
    evidence.edits.push({ ...retry, statusBefore: 'FAILED' }, { ...cancel, statusBefore: 'RETRY' });
    evidence.table.launches[0] = { ...launch('S00001', 'FAILED'), note: 'CANCEL refused' };
    evidence.engineRuns[0] = { id: '1', name: `${name}-S00001-1`, status: 'FAILED' };
    evidence.runEvents[0] = { ...(evidence.runEvents[0] as Evidence['runEvents'][number]), status: 'FAILED' };
    const batch = evidence.table.batches[0] as BatchItem;
    evidence.table.batches[0] = {
      ...batch,
      status: 'COMPLETED_WITH_FAILURES',
      counts: { ...NO_COUNTS, succeeded: 1, failed: 1 },
    };
    // Act, Assess: the RETRY lost to the CANCEL typed over it is no violation
    expect(broken(evidence)).toEqual({});
    // ...but a CANCEL typed once the launch had left RETRY does not excuse a RETRY never taken
    evidence.edits[1] = { ...cancel, statusBefore: 'FAILED' };
    expect(broken(evidence)).toEqual({ 'one-run-per-attempt': 1 });
  });

  it('accept either attempt for a typo gwm reads as RETRY (" RETRY"), and not for one it cannot', () => {
    // Prepare: S00001 at attempt 2 after a typo, its first run failed and its second completed
    const retried = (typed: string) => {
      const evidence = healthy();
      evidence.edits.push({
        at: 't1',
        launchId: 'b1/S00001',
        kind: 'typo',
        value: typed,
        statusBefore: 'RUNNING',
        attemptBefore: 1,
      });
      evidence.table.launches[0] = {
        ...launch('S00001', 'COMPLETED', 2),
        runId: '3',
        attempts: [{ attempt: 1, status: 'FAILED' }],
      };
      evidence.engineRuns.push({ id: '1b', name: `${name}-S00001-2`, status: 'COMPLETED' });
      evidence.engineRuns[0] = { id: '1', name: `${name}-S00001-1`, status: 'FAILED' };
      evidence.runEvents[0] = {
        ...(evidence.runEvents[0] as Evidence['runEvents'][number]),
        status: 'FAILED',
      };
      evidence.runEvents.push({
        life: 0,
        at: 't2',
        runId: '1b',
        uuid: 'u4',
        runName: `${name}-S00001-2`,
        status: 'COMPLETED',
      });
      return checkInvariants(evidence).find((r) => r.name === 'one-run-per-attempt')?.violations ?? [];
    };
    // Act, Assess: the launch failed between the harness's look and the edit, so gwm took it as RETRY
    expect(retried(' RETRY')).toEqual([]);
    // ...a typo gwm cannot read as RETRY does not explain a second attempt
    expect(retried('BOGUS').map((v) => v.detail)).toEqual([
      expect.stringMatching(/attempt 2, but the console asked for 1 \(1 \+ 0 RETRY\)/),
    ]);
    // ...and the refused typo on a launch still at attempt 1 is right too
    const refused = healthy();
    refused.edits.push({
      at: 't1',
      launchId: 'b1/S00001',
      kind: 'typo',
      value: ' RETRY',
      statusBefore: 'RUNNING',
      attemptBefore: 1,
    });
    expect(broken(refused)).toEqual({});
  });

  it('find a run attempt counted twice in its batch cost, and a launch cost that is not its mark', () => {
    // An attempt added to the batch twice (a redelivery counted again)
    const twice = healthy();
    const batch = twice.table.batches[0];
    if (batch) batch.cost = { totalUsd: 0.7, runsPriced: 3 };
    expect(broken(twice)).toEqual({ 'cost-once': 1 });

    // A launch whose stored cost differs from what its attempt was priced at
    const differs = healthy();
    const launch = differs.table.launches[1];
    if (launch?.cost) launch.cost = { ...launch.cost, totalUsd: 0.31 };
    expect(broken(differs)).toEqual({ 'cost-once': 1 });

    // An attempt still being priced when the stack stopped is in neither: nothing wrong
    const pending = healthy();
    pending.table.costMarks.push({
      batchId: 'b1',
      launchId: 'b1/S00003',
      attempt: 1,
      runId: '3',
      state: 'COLLECTING',
    });
    expect(broken(pending)).toEqual({});
  });

  it('find a dead letter about a launch that did not end well, and a process a killed stack left', () => {
    const evidence = healthy();
    evidence.table.launches[0] = launch('S00001', 'SUBMITTING');
    evidence.deadLetters.push({
      file: 'launcher.jsonl',
      line: { reason: 'boom', record: { dynamodb: { NewImage: { launchId: { S: 'b1/S00001' } } } } },
    });
    evidence.leftovers.push({ pid: 42, command: 'java -jar DynamoDBLocal.jar -dbPath /tmp/x/dynamodb' });
    expect(broken(evidence)).toMatchObject({ 'dead-letters-repaired': 1, 'nothing-outlives-the-stack': 1 });
  });
});
