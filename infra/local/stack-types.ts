import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Notice } from '../../domain/notifications.js';
import type { Team } from '../../domain/teams/team.js';
import type { TrackOutcome } from '../../domain/use-cases/tracker.js';
import type { WorkflowProfile } from '../../domain/workflow.js';
import type { buildDependencies } from '../../functions/adapters/dependencies.js';
import type { LocalEndpoints } from './endpoints.js';
import type { EngineOperation, LocalEngine, LocalWorkflow, RunStatusChangeEvent } from './engine/index.js';
import type { StackFaults } from './faults.js';
import type { LocalLog } from './local-log.js';

// What the embedded runtime takes and gives (infra/local/stack.ts puts it together).

export interface LocalStackOptions {
  /** Data, runs, outbox and dead letters live here; kept across restarts. */
  stateDir: string;
  /** Fixed ports (0 or absent: free ones). The engine and S3 bind to 127.0.0.1. */
  ports?: { dynamodb?: number; s3?: number; engine?: number };
  /**
   * The engine's workflows, keyed by numeric workflow id. Absent: the example workflows
   * (fastq-stats, fastq-qc-report) from examples/workflows, which read and write the local S3.
   */
  workflows?: (context: { s3Endpoint: string; region: string }) => Record<string, LocalWorkflow>;
  /** Workflow profiles written when the stack starts, unless a profile of that name exists. */
  profiles?: WorkflowProfile[];
  /** Teams written when the stack starts, unless a team of that name exists (docs/teams.md). */
  teams?: Team[];
  /** The engine's StartRun quota (ThrottlingException above it); gwm paces below it. */
  engineStartRunRatePerSecond?: number;
  /** gwm settings, as the deployed functions' environment variables (STARTRUN_RATE_PER_SECOND, ...). */
  settings?: Record<string, string>;
  /** How often the reconciler runs; 0 turns the schedule off. Default 60 s (`gwm up`: 5 s). */
  reconcileEveryMs?: number;
  /** Keep DynamoDB Local's data on disk under the state folder (default); false keeps it in memory. */
  persist?: boolean;
  /** DynamoDB Local's JVM: 'startup' (default) starts fast; 'throughput' for benchmarks. */
  dynamoTuning?: 'startup' | 'throughput';
  /** Write `<stateDir>/endpoints.json` for the CLI and other tools (default true). */
  writeEndpointsFile?: boolean;
  log?: LocalLog;
  /** Every notification gwm sends, after it is in the outbox. */
  onNotice?: (notice: Notice, rendered: { subject: string; text: string }) => void;
  /** Every engine API call, for counting. */
  onEngineRequest?: (operation: EngineOperation) => void;
  /** Every DynamoDB request the handlers make, for counting (command name). */
  onDynamoRequest?: (command: string) => void;
  /** A run status event as the engine emits it (before routing). */
  onRunEvent?: (event: RunStatusChangeEvent) => void;
  /** A run status event after the tracker handled it (and wrote the launch, if it applied). */
  onRunEventHandled?: (event: RunStatusChangeEvent, outcome: TrackOutcome) => void;
  /** Fault injection at every boundary (the chaos harness): see infra/local/faults.ts. */
  faults?: StackFaults;
}

export interface LocalStack {
  endpoints: LocalEndpoints;
  stateDir: string;
  s3: S3Client;
  dynamo: DynamoDBClient;
  engine: LocalEngine;
  deps: ReturnType<typeof buildDependencies>;
  /**
   * Waits until every upload notification, stream record and run event so far has been handled,
   * and every run's cost collected (`costs: false`: not the costs, which are paced under the
   * engine's read quota and take minutes for a thousand runs).
   */
  settle(options?: { costs?: boolean }): Promise<void>;
  /** Runs the reconciler once, as its schedule does. */
  reconcile(): Promise<void>;
  /** Stops everything the stack started: runs, servers, the schedule, DynamoDB Local. */
  stop(): Promise<void>;
}
