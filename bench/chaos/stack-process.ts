/**
 * One life of the chaos run's local stack, in a process of its own so the harness can kill -9 it:
 * `node --import tsx bench/chaos/stack-process.ts <state dir> <life>`. It reads the plan from
 * `<state dir>/chaos/plan.json`, starts the stack with the fault plan of this life, and tells the
 * parent its endpoints over IPC. Faults injected and run events emitted are appended to
 * `<state dir>/chaos/` synchronously, so a kill -9 loses none of what happened before it.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { makeStackFaults } from '../../infra/local/faults.js';
import { startLocalStack } from '../../infra/local/stack.js';
import { chaosFiles, type RunEventLine, type StackMessage, type StackProcessInput } from './files.js';
import { CHAOS_TEAM_ITEM, QC_WORKFLOW_ID, SAMPLE_WORKFLOW_ID, stackFaultPlan } from './plan.js';
import { chaosWorkflows } from './workflows.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main() {
  const [stateDir, lifeText] = process.argv.slice(2);
  if (!stateDir || lifeText === undefined) throw new Error('usage: stack-process.ts <state dir> <life>');
  const life = Number(lifeText);
  const files = chaosFiles(stateDir);
  const input = JSON.parse(readFileSync(files.plan, 'utf8')) as StackProcessInput;
  const { plan } = input;
  const workflows = chaosWorkflows(plan.simulation);
  const append = (file: string, line: object) => appendFileSync(file, `${JSON.stringify(line)}\n`);
  const stack = await startLocalStack({
    stateDir,
    writeEndpointsFile: false,
    workflows: () => ({ [SAMPLE_WORKFLOW_ID]: workflows.sample, [QC_WORKFLOW_ID]: workflows.qc }),
    profiles: [],
    teams: [CHAOS_TEAM_ITEM],
    engineStartRunRatePerSecond: plan.engineRate,
    reconcileEveryMs: input.reconcileEveryMs,
    settings: {
      STARTRUN_RATE_PER_SECOND: String(plan.startRunRate),
      STARTRUN_BURST: String(Math.max(1, Math.floor(plan.startRunRate / 5))),
      STARTRUN_BACKOFF_BASE_MS: '50',
      STARTRUN_BACKOFF_MAX_MS: '500',
      LAUNCHER_PARALLEL_LAUNCHES: '10',
      // The local stack's thresholds are seconds (RECONCILE_TIME_UNIT_SECONDS=1) and a claim a killed
      // launcher held may be taken over after 30 s, as on `gwm up`. Shorter here, for runs that take
      // seconds: a stuck launch is looked at after 10 to 20 s, and a SENDING mark is left to its
      // sender for 15 s (longer than an aggregator here takes between the mark and the send).
      RECONCILE_AFTER_MINUTES_QUEUED: '20',
      RECONCILE_AFTER_MINUTES_SUBMITTING: '10',
      RECONCILE_AFTER_MINUTES_SUBMITTED: '15',
      RECONCILE_AFTER_MINUTES_RUNNING: '15',
      RECONCILE_AFTER_MINUTES_SENDING: '15',
      RECONCILE_AFTER_MINUTES_BATCH: '30',
      RECONCILE_ENGINE_READS_PER_SECOND: '9',
      ...input.settings,
    },
    faults: makeStackFaults(stackFaultPlan(plan, life), (fault) => append(files.faults, { life, ...fault })),
    onRunEvent: (event) =>
      append(files.runEvents, {
        life,
        at: event.time,
        runId: event.detail.runId,
        uuid: event.detail.uuid,
        runName: event.detail.runName,
        status: event.detail.status,
      } satisfies RunEventLine),
    log: (level, message, details) => {
      if (level !== 'info')
        append(files.stackLog, { life, level, message, details, at: new Date().toISOString() });
    },
  });
  const stop = () => {
    void stack.stop().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.on('message', (message) => {
    if ((message as { type?: string }).type === 'stop') stop();
  });
  process.send?.({ type: 'ready', endpoints: stack.endpoints } satisfies StackMessage);
}

main().catch((error: Error) => {
  process.send?.({ type: 'failed', error: error.stack ?? error.message } satisfies StackMessage);
  process.exit(1);
});
