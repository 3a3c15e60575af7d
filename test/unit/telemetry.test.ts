import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { METRICS } from '../../domain/metrics.js';
import { makePowertoolsTelemetry, withPowertools } from '../../functions/adapters/telemetry.js';
import { SERVICE_DIMENSION, STACK_DIMENSION } from '../../functions/service-names.js';

interface EmfRecord {
  _aws: { CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }> };
  [key: string]: unknown;
}

/** The JSON lines (log lines and EMF records) written to stdout while `act` runs. */
async function linesWrittenBy(act: () => unknown): Promise<Record<string, unknown>[]> {
  const chunks: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    await act();
  } finally {
    write.mockRestore();
  }
  return chunks
    .flatMap((text) => text.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The EMF records written to stdout while `act` runs. */
async function emfWrittenBy(act: () => unknown): Promise<EmfRecord[]> {
  return (await linesWrittenBy(act)).filter((line): line is EmfRecord => '_aws' in line);
}

function lambdaContext(requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'GwmLabA-Launcher',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:GwmLabA-Launcher',
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/GwmLabA-Launcher',
    logStreamName: '2026/12/06/[$LATEST]abc',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const named = (records: EmfRecord[], name: string) =>
  records.filter((record) =>
    record._aws.CloudWatchMetrics.some((m) => m.Metrics.some((x) => x.Name === name)),
  );

describe('metrics as the functions publish them (EMF)', () => {
  afterEach(() => vi.restoreAllMocks());

  it("carry the service and the stack's name on every record, the cost by workflow included", async () => {
    // Act
    const records = await emfWrittenBy(() => {
      const telemetry = makePowertoolsTelemetry('gwm-cost-collector', 'GwmLabA');
      telemetry.count(METRICS.runsStarted);
      telemetry.measure(METRICS.runCostUsd, 1.25, { workflow: '4821093' });
      telemetry.metrics.publishStoredMetrics();
    });
    // Assess: the invocation's metrics, and the cost by workflow as its own record
    expect(records).toHaveLength(2);
    for (const record of records) {
      expect(record[SERVICE_DIMENSION]).toBe('gwm-cost-collector');
      expect(record[STACK_DIMENSION]).toBe('GwmLabA');
      const [dimensions] = record._aws.CloudWatchMetrics[0]?.Dimensions ?? [];
      expect(dimensions).toEqual(expect.arrayContaining([SERVICE_DIMENSION, STACK_DIMENSION]));
    }
    const byWorkflow = records.find((record) => record.workflow === '4821093');
    expect(byWorkflow?._aws.CloudWatchMetrics[0]?.Dimensions[0]).toEqual(
      expect.arrayContaining([SERVICE_DIMENSION, STACK_DIMENSION, 'workflow']),
    );
    expect(byWorkflow?.[METRICS.runCostUsd]).toBe(1.25);
  });
});

describe('a Lambda entry point wrapped by withPowertools', () => {
  // As Lambda sets it for an execution environment started by an invocation (a cold start).
  beforeEach(() => vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand'));
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it("puts the Lambda context on the handler's log lines", async () => {
    // Prepare
    const telemetry = makePowertoolsTelemetry('gwm-launcher', 'GwmLabA');
    const handler = withPowertools(telemetry, async (_event: unknown) => {
      telemetry.logger.info('run started');
    });
    // Act
    const lines = await linesWrittenBy(() => handler({}, lambdaContext('request-1')));
    // Assess
    const line = lines.find((entry) => entry.message === 'run started');
    expect(line).toMatchObject({
      service: 'gwm-launcher',
      function_name: 'GwmLabA-Launcher',
      function_request_id: 'request-1',
      cold_start: true,
    });
  });

  it('publishes the ColdStart metric on the first invocation only, and the metrics after each', async () => {
    // Prepare
    const telemetry = makePowertoolsTelemetry('gwm-launcher', 'GwmLabA');
    const response = { batchItemFailures: [{ itemIdentifier: '42' }] };
    const handler = withPowertools(telemetry, async (_event: unknown) => {
      telemetry.count(METRICS.runsStarted);
      return response;
    });
    // Act
    const results: unknown[] = [];
    const records = await emfWrittenBy(async () => {
      results.push(await handler({}, lambdaContext('request-1')));
      results.push(await handler({}, lambdaContext('request-2')));
    });
    // Assess: the partial batch response comes back as the handler returned it
    expect(results).toEqual([response, response]);
    const coldStarts = named(records, 'ColdStart');
    expect(coldStarts).toHaveLength(1);
    expect(coldStarts[0]).toMatchObject({ service: 'gwm-launcher', stack: 'GwmLabA', ColdStart: 1 });
    expect(named(records, METRICS.runsStarted)).toHaveLength(2);
  });

  it('publishes the metrics counted before the handler threw, and throws on', async () => {
    // Prepare
    const telemetry = makePowertoolsTelemetry('gwm-reconciler', 'GwmLabA');
    const handler = withPowertools(telemetry, async (_event: unknown) => {
      telemetry.count(METRICS.reconcilerErrors, 3);
      throw new Error('table unavailable');
    });
    // Act
    let thrown: unknown;
    const records = await emfWrittenBy(async () => {
      thrown = await handler({}, lambdaContext('request-1')).catch((error: unknown) => error);
    });
    // Assess
    expect((thrown as Error).message).toBe('table unavailable');
    const published = named(records, METRICS.reconcilerErrors);
    expect(published).toHaveLength(1);
    expect(published[0]?.[METRICS.reconcilerErrors]).toBe(3);
  });
});
