export {
  issuesToProblems,
  MAX_USER_TAGS,
  NATIVE_SCHEMA_VERSION,
  type NativeManifest,
  type NativeManifestInput,
  nativeManifestSchema,
  normalizeWorkflowId,
  qcSchema,
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
