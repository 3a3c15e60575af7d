/**
 * Manifests: what a lab uploads, read into a BatchPlan (or every problem it has).
 * - parseManifest: intake of the native `gwm.manifest/v1` and the seed format (docs/manifest.md).
 * - parseWorkflowProfile: validation of a workflow profile before it is stored.
 * - renderTemplate: the completion path fills the QC run's stored parameterTemplate with
 *   `renderTemplate(qc.parameterTemplate, { batch: { sampleOutputUris } })`; everything else in it
 *   was filled at intake.
 */
export {
  MAX_USER_TAGS,
  NATIVE_SCHEMA_VERSION,
  type NativeManifest,
  type NativeManifestInput,
  nativeManifestSchema,
  normalizeWorkflowId,
  SAMPLE_ID_PATTERN,
} from './native-schema.js';
export { parseManifest } from './parse.js';
export {
  type ProfileParseResult,
  parseWorkflowProfile,
  runDefaultsSchema,
  workflowProfileSchema,
} from './profile-schema.js';
export { SEED_INPUT_NAME, type SeedManifest, seedManifestSchema } from './seed-schema.js';
export {
  checkTemplateFields,
  classifyTemplateField,
  type RenderOptions,
  type RenderResult,
  renderTemplate,
  type TemplateContext,
  type TemplateKind,
  type TemplateProblem,
  type TemplateReference,
  templateReferences,
} from './template.js';
export * from './types.js';
