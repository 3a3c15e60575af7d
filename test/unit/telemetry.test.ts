import { afterEach, describe, expect, it, vi } from 'vitest';
import { METRICS } from '../../domain/metrics.js';
import { makePowertoolsTelemetry } from '../../functions/adapters/telemetry.js';
import { SERVICE_DIMENSION, STACK_DIMENSION } from '../../functions/service-names.js';

interface EmfRecord {
  _aws: { CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }> };
  [key: string]: unknown;
}

/** The EMF records written to stdout while `act` runs. */
function emfWrittenBy(act: () => void): EmfRecord[] {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    act();
  } finally {
    write.mockRestore();
  }
  return lines
    .flatMap((text) => text.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfRecord);
}

describe('metrics as the functions publish them (EMF)', () => {
  afterEach(() => vi.restoreAllMocks());

  it("carry the service and the stack's name on every record, the cost by workflow included", () => {
    // Act
    const records = emfWrittenBy(() => {
      const telemetry = makePowertoolsTelemetry('gwm-cost-collector', 'GwmLabA');
      telemetry.count(METRICS.runsStarted);
      telemetry.measure(METRICS.runCostUsd, 1.25, { workflow: '4821093' });
      telemetry.flush();
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
