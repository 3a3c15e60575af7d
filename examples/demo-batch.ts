import { readFileSync } from 'node:fs';
import { corruptFastq, syntheticFastq } from './workflows/synthetic-fastq.js';

export interface DemoBatch {
  batchName: string;
  /** Where the FASTQ files go in the input bucket. */
  inputPrefix: string;
  inputs: Array<{ key: string; body: Buffer }>;
  /** A native gwm manifest (`gwm.manifest/v1`), ready to upload. */
  manifest: Record<string, unknown>;
  /** The sample whose R2 file is malformed, so its run fails after measuring R1. */
  corruptSample: string;
  /** Reads per file of each sample that can be read (what fastq-stats must count). */
  readsPerFile: Record<string, number>;
}

interface ExampleManifest {
  batch: Record<string, unknown>;
  defaults: Record<string, unknown>;
  samples: Array<{ id: string; parameters?: Record<string, unknown>; tags?: Record<string, string> }>;
  qc: Record<string, unknown>;
  notifications: Record<string, unknown>;
}

const READ_LENGTH = 100;

/**
 * The run cache the demo's runs name (the local engine keeps one by any id in its runs folder): the
 * corrupt sample's run measures R1 before it fails on R2, so a retry once R2 is fixed takes that
 * task from the cache.
 */
export const DEMO_RUN_CACHE = { id: '7000001', behavior: 'CACHE_ON_FAILURE' } as const;

/**
 * The example flowcell (examples/manifests/flowcell-native.json) with small paired FASTQ files
 * made up for it: the last sample's R2 is corrupt, one sample has few reads (the QC report flags
 * it). Each call gets its own batch name, input and output prefixes, so demos never collide.
 */
export function makeDemoBatch(options: {
  stamp: string;
  samples: number;
  inputBucket: string;
  outputBucket: string;
}): DemoBatch {
  const example = JSON.parse(
    readFileSync(new URL('./manifests/flowcell-native.json', import.meta.url), 'utf8'),
  ) as ExampleManifest;
  const batchName = `HK3H3BBXY-demo-${options.stamp}`;
  const inputPrefix = `demo/${options.stamp}/`;
  const outputPrefix = `s3://${options.outputBucket}/demo/${options.stamp}/`;
  const ids = Array.from(
    { length: options.samples },
    (_, index) => example.samples[index]?.id ?? `DEMO${String(index + 1).padStart(3, '0')}`,
  );
  const corruptSample = ids.at(-1) ?? 'none';
  const lowReadSample = ids.length > 3 ? ids[ids.length - 3] : undefined;

  const inputs: DemoBatch['inputs'] = [];
  const readsPerFile: Record<string, number> = {};
  const samples = ids.map((id, index) => {
    const reads = id === lowReadSample ? 400 : 2_000 + 250 * index;
    const files = ['R1', 'R2'].map((read, mate) => {
      const key = `${inputPrefix}${id}_S${index + 1}_L001_${read}_001.fastq.gz`;
      const settings = {
        seed: index * 2 + mate + 1,
        reads,
        readLength: READ_LENGTH,
        gzip: true,
        namePrefix: `${id}:${read}`,
      };
      const body = id === corruptSample && read === 'R2' ? corruptFastq(settings) : syntheticFastq(settings);
      inputs.push({ key, body });
      return `s3://${options.inputBucket}/${key}`;
    });
    if (id !== corruptSample) readsPerFile[id] = reads;
    const base = example.samples[index];
    return {
      id,
      inputs: { fastq1: files[0], fastq2: files[1] },
      ...(base?.parameters && { parameters: base.parameters }),
      ...(base?.tags && { tags: base.tags }),
    };
  });

  const manifest = {
    schemaVersion: 'gwm.manifest/v1',
    batch: { ...example.batch, name: batchName },
    defaults: {
      ...example.defaults,
      outputUri: outputPrefix,
      cache: DEMO_RUN_CACHE,
      tags: { ...(example.defaults.tags as Record<string, string>), flowcell: batchName },
    },
    samples,
    qc: { ...example.qc, outputUri: `${outputPrefix}qc/` },
    notifications: example.notifications,
  };
  return { batchName, inputPrefix, inputs, manifest, corruptSample, readsPerFile };
}
