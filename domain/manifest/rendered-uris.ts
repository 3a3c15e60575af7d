import { parseS3Uri, type S3Location, s3UriError } from '../s3-uri.js';
import { hasTemplateReference, visitStrings } from './template.js';

/**
 * S3 URIs that exist only once a template is rendered. A template is checked as written, but
 * what it renders is made of manifest data (`{{batch.name}}/ref.fa` with the batch name
 * `s3://other-bucket/x`), so every rendered string is checked again: a string that is an S3 URI,
 * or any `s3://` URI inside a longer string (`--known-sites=s3://…`), at any depth.
 */

export interface RenderedUriRules {
  canRead: (location: S3Location) => boolean;
  canWrite: (location: S3Location) => boolean;
  /** The run's own output URI: a parameter may name a place under it (`{{launch.outputUri}}x/`). */
  outputUri?: string;
  /**
   * The sample's or QC step's input URIs. Each is checked at its own path, so a rendered URI
   * that starts with a rejected one (`{{sample.fastq1}}.bai`) is not reported a second time
   * (nor one that starts with a rejected output URI).
   */
  inputs: readonly string[];
}

export interface RenderedUriViolation {
  /** Where the rendered string sits, below the path the rendering started from. */
  jsonPath: string;
  uri: string;
  code: 'MALFORMED_S3_URI' | 'READ_PREFIX_NOT_ALLOWED';
  /** For MALFORMED_S3_URI: what is wrong with it. */
  reason?: string;
}

// Characters that end a URI written inside a longer string: separators, quotes and brackets.
const EMBEDDED_URI = /s3:\/\/[^\s"'`<>,;|()[\]{}]*/gi;

/** Every `s3://` URI written inside `text` (case-insensitive scheme: S3:// is reported as malformed). */
export function s3UrisIn(text: string): string[] {
  return text.match(EMBEDDED_URI) ?? [];
}

/** The rendered S3 URIs in `value` a run of this deployment may not read. */
export function renderedUriViolations(
  value: unknown,
  jsonPath: string,
  rules: RenderedUriRules,
): RenderedUriViolation[] {
  const violations: RenderedUriViolation[] = [];
  let rejectedRoots: string[] | undefined;
  visitStrings(value, jsonPath, (text, path) => {
    if (!text.includes('3:')) return;
    // A reference left for later (the QC's batch.sampleOutputUris) is filled with gwm's own run
    // outputs; what the string says around it is checked now, as if the reference ended a URI.
    const later = hasTemplateReference(text);
    const uris = later
      ? s3UrisIn(text.replace(/\{\{[^{}]*\}\}/g, ' '))
      : text.slice(0, 3).toLowerCase() === 's3:'
        ? [text]
        : s3UrisIn(text);
    for (const uri of uris) {
      // `{{sample.fastq1}}` as it is: that input was checked at its own path.
      if (rules.inputs.includes(uri)) continue;
      rejectedRoots ??= rejectedRootsOf(rules);
      const violation = judge(uri, rules, rejectedRoots);
      if (violation !== undefined) violations.push({ jsonPath: path, uri, ...violation });
    }
  });
  return violations;
}

/** The inputs and output URI that were rejected at their own paths. */
function rejectedRootsOf(rules: RenderedUriRules): string[] {
  const rejected = (root: string, allowed: (location: S3Location) => boolean) => {
    const location = parseS3Uri(root);
    return root.length > 0 && (location === undefined || !allowed(location));
  };
  const roots = rules.inputs.filter((input) => rejected(input, rules.canRead));
  if (rules.outputUri !== undefined && rejected(rules.outputUri, rules.canWrite)) roots.push(rules.outputUri);
  return roots;
}

function judge(
  uri: string,
  rules: RenderedUriRules,
  rejectedRoots: readonly string[],
): Omit<RenderedUriViolation, 'jsonPath' | 'uri'> | undefined {
  // Built on an input or the output URI that was rejected at its own path: reported there.
  if (rejectedRoots.some((root) => uri.startsWith(root))) return undefined;
  const location = parseS3Uri(uri);
  if (location === undefined) return { code: 'MALFORMED_S3_URI', reason: s3UriError(uri) ?? 'not an S3 URI' };
  if (rules.canRead(location)) return undefined;
  const { outputUri } = rules;
  if (outputUri !== undefined && uri.startsWith(outputUri) && rules.canWrite(location)) return undefined;
  return { code: 'READ_PREFIX_NOT_ALLOWED' };
}
