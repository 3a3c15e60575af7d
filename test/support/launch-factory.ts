import type { Launch } from '../../domain/launch.js';

/** A launch as registration writes it, with overrides for the case at hand. */
export function aLaunch(overrides: Partial<Launch> = {}): Launch {
  const createdAt = '2026-11-20T10:00:00.000Z';
  return {
    launchId: 'b1/NA12878',
    batchId: 'b1',
    sampleId: 'NA12878',
    kind: 'SAMPLE',
    batchName: 'HK3H3BBXY',
    workflowId: '9876543',
    workflowType: 'PRIVATE',
    inputs: { fastq: 's3://lab-samples-fastq/HK3H3BBXY/NA12878_L001_R1.fastq.gz' },
    parameters: { sample_id: 'NA12878' },
    outputUri: 's3://lab-results/HK3H3BBXY/',
    storageType: 'DYNAMIC',
    tags: {},
    status: 'QUEUED',
    attempt: 1,
    statusHistory: [
      { status: 'REGISTERED', at: createdAt, source: 'gwm' },
      { status: 'QUEUED', at: createdAt, source: 'gwm' },
    ],
    attempts: [],
    createdAt,
    updatedAt: createdAt,
    revision: 2,
    ...overrides,
  };
}
