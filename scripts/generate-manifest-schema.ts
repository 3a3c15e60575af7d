/**
 * Writes docs/manifest.schema.json, the JSON Schema of the native manifest format, from the zod
 * schema the intake validates with, so editors and the intake never disagree. Run: npm run schema.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import {
  manifestDefaultsSchema,
  manifestSampleSchema,
  nativeManifestSchema,
  qcSchema,
} from '../domain/manifest/native-schema.js';

const target = fileURLToPath(new URL('../docs/manifest.schema.json', import.meta.url));

const schema = z.toJSONSchema(nativeManifestSchema, {
  // The document a person writes: inputs before defaults and transforms are applied.
  io: 'input',
  target: 'draft-2020-12',
  override: ({ zodSchema, jsonSchema }) => {
    // Rules between fields are zod refinements, which JSON Schema output leaves out; the two
    // that matter most to someone writing a manifest are restated here.
    if (zodSchema === manifestDefaultsSchema || zodSchema === manifestSampleSchema) {
      jsonSchema.not = { required: ['profile', 'workflow'] };
    }
    if (zodSchema === qcSchema) {
      jsonSchema.allOf = [
        { not: { required: ['profile', 'workflow'] } },
        {
          if: { properties: { policy: { const: 'min-succeeded-fraction' } }, required: ['policy'] },
          // biome-ignore lint/suspicious/noThenProperty: `then` is JSON Schema's keyword, not a promise.
          then: { required: ['minSucceededFraction'] },
          else: { not: { required: ['minSucceededFraction'] } },
        },
      ];
    }
  },
});

writeFileSync(target, `${JSON.stringify(schema, null, 2)}\n`);
console.log(`wrote ${target}`);
