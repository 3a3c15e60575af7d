/** Sample ids `S1`, `S2`, … or in the shape `id(i)` gives. */
export function sampleIds(count: number, id: (index: number) => string = (i) => `S${i + 1}`): string[] {
  return Array.from({ length: count }, (_, i) => id(i));
}

export interface ManifestShape {
  name: string;
  /** Inputs are read from `s3://lab-inputs/<folder>/`, outputs go to `s3://lab-results/<folder>/`. */
  folder: string;
  sampleIds: string[];
  workflowId?: string;
  qc?: Record<string, unknown>;
}

/** A native-format manifest inside the test deployment's allowed prefixes, one FASTQ per sample. */
export function nativeManifest(shape: ManifestShape) {
  return {
    schemaVersion: 'gwm.manifest/v1',
    batch: { name: shape.name },
    defaults: {
      workflow: { id: shape.workflowId ?? '1234567', type: 'PRIVATE' },
      outputUri: `s3://lab-results/${shape.folder}/`,
    },
    samples: shape.sampleIds.map((id) => ({
      id,
      inputs: { fastq1: `s3://lab-inputs/${shape.folder}/${id}_R1.fastq.gz` },
    })),
    ...(shape.qc ? { qc: shape.qc } : {}),
  };
}
