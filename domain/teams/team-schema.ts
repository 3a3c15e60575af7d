import * as z from 'zod';
import { issuesToProblems, REPORT_INPUT } from '../manifest/native-schema.js';
import { jsonDocument } from '../manifest/problem-list.js';
import type { ManifestProblem } from '../manifest/types.js';
import { s3UriError } from '../s3-uri.js';
import { DEFAULT_TEAM_WEIGHT, prefixesOutside, TEAM_NAME_PATTERN, type Team } from './team.js';

const prefixSchema = z
  .string()
  .min(1)
  .refine((uri) => s3UriError(uri) === undefined, { message: 'expected an s3://bucket/prefix/ URI' });

export const teamSchema = z
  .strictObject({
    name: z
      .string()
      .regex(TEAM_NAME_PATTERN, 'a team name is 1-64 lower case letters, digits and dashes')
      .describe('The team name; its manifests are uploaded under teams/<name>/.'),
    description: z.string().max(1024).optional(),
    readPrefixes: z
      .array(prefixSchema)
      .min(1, 'name at least one prefix the team may read')
      .describe('s3:// prefixes the team may read inputs from (inside the deployment’s).'),
    writePrefixes: z
      .array(prefixSchema)
      .min(1, 'name at least one prefix the team may write')
      .describe('s3:// prefixes the team’s runs may write outputs to (inside the deployment’s).'),
    weight: z
      .number()
      .positive('weight is above 0')
      .max(1000)
      .default(DEFAULT_TEAM_WEIGHT)
      .describe('Share of the StartRun rate against other teams with launches waiting.'),
    maxInFlight: z
      .number()
      .int('maxInFlight is a whole number')
      .min(1)
      .optional()
      .describe('Runs the team may have between SUBMITTING and a terminal status.'),
    runGroupId: z
      .string()
      .regex(/^\d{1,20}$/, 'expected a numeric run group id')
      .optional()
      .describe('HealthOmics run group every run of the team starts in.'),
    updatedAt: z.string().optional(),
  })
  .meta({ title: 'gwm team' });

const TEAM_KEYS = Object.keys(teamSchema.shape);

export type TeamParseResult = { ok: true; team: Team } | { ok: false; problems: ManifestProblem[] };

/**
 * Validates a team document (JSON text or parsed). With the deployment's prefixes, a team prefix
 * outside all of them is a problem: it would allow nothing.
 */
export function parseTeam(
  json: unknown,
  deployment?: { readPrefixes: readonly string[]; writePrefixes: readonly string[] },
): TeamParseResult {
  const read = jsonDocument(json);
  if (!read.ok) return read;
  const { document } = read;
  const parsed = teamSchema.safeParse(document, REPORT_INPUT);
  if (!parsed.success) return { ok: false, problems: issuesToProblems(parsed.error.issues, '$', TEAM_KEYS) };
  const team = parsed.data as Team;
  const problems: ManifestProblem[] = [];
  if (deployment !== undefined) {
    for (const [field, own, allowed] of [
      ['readPrefixes', team.readPrefixes, deployment.readPrefixes],
      ['writePrefixes', team.writePrefixes, deployment.writePrefixes],
    ] as const) {
      for (const prefix of prefixesOutside(own, allowed)) {
        problems.push({
          path: `$.${field}[${own.indexOf(prefix)}]`,
          code: field === 'readPrefixes' ? 'READ_PREFIX_NOT_ALLOWED' : 'WRITE_PREFIX_NOT_ALLOWED',
          message: `${prefix} is outside every prefix this deployment allows (${allowed.join(', ') || 'none are configured'})`,
        });
      }
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, team };
}
