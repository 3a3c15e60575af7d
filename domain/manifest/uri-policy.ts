// Checks the S3 URIs a manifest names against the prefixes this deployment may read and write,
// so a batch cannot launch runs that read or write outside them.

import { parseS3Uri, s3UriError } from '../s3-uri.js';
import type { Checker } from './draft.js';
import type { Layer } from './parameter-layers.js';
import { renderedUriViolations } from './rendered-uris.js';
import type { TemplateContext } from './template.js';

/** Reports the S3 URIs a rendered parameter holds that the run may not read (rendered-uris.ts). */
export function checkRenderedUris(
  checker: Checker,
  layer: Layer,
  path: string,
  value: unknown,
  context: TemplateContext,
  sampleId: string | undefined,
): boolean {
  const violations = renderedUriViolations(value, path, {
    canRead: checker.canRead,
    canWrite: checker.canWrite,
    outputUri: context.launch?.outputUri,
    inputs: Object.values(context.sample?.inputs ?? context.qc?.inputs ?? {}),
  });
  const forSample = sampleId === undefined ? '' : ` (for sample "${sampleId}")`;
  for (const { jsonPath, uri, code, reason } of violations) {
    const why =
      code === 'MALFORMED_S3_URI'
        ? `: ${reason}`
        : ` is not under a prefix ${checker.ctx.prefixOwner ?? 'this deployment'} may read (${describePrefixes(checker.ctx.allowedReadPrefixes)})`;
    // A shared part (the defaults, a profile) is reported once, however many samples render it.
    if (layer.fromProfile === undefined) {
      checker.problems.once('rendered', jsonPath, code, `${uri}${forSample}${why}`);
    } else {
      const { name, reportAt } = layer.fromProfile;
      checker.problems.once(
        jsonPath,
        reportAt,
        code,
        `profile "${name}" ${jsonPath} renders ${uri}${forSample}${why}`,
      );
    }
  }
  return violations.length === 0;
}

export function looksLikeS3(value: string): boolean {
  return value.length >= 3 && value.slice(0, 3).toLowerCase() === 's3:';
}

function describePrefixes(prefixes: readonly string[]): string {
  if (prefixes.length === 0) return 'none are configured';
  const shown = prefixes.slice(0, 5).join(', ');
  return prefixes.length > 5 ? `${shown}, … ${prefixes.length - 5} more` : shown;
}

/**
 * A URI a run reads: well formed and under a prefix the deployment may read. An `input` must name
 * an object; a `parameter` may name a whole bucket or prefix.
 */
export function checkReadUri(
  checker: Checker,
  uri: string,
  path: string,
  options: { as: 'input' | 'parameter' },
): boolean {
  const error = s3UriError(uri);
  if (error !== undefined) {
    checker.problems.add(path, 'MALFORMED_S3_URI', `${uri}: ${error}`);
    return false;
  }
  const location = parseS3Uri(uri);
  if (location === undefined) return false;
  if (options.as === 'input' && location.key === '') {
    checker.problems.add(
      path,
      'MALFORMED_S3_URI',
      `${uri}: an input must name an object, not a whole bucket`,
    );
    return false;
  }
  if (!checker.canRead(location)) {
    checker.problems.add(
      path,
      'READ_PREFIX_NOT_ALLOWED',
      `${uri} is not under a prefix ${checker.ctx.prefixOwner ?? 'this deployment'} may read (${describePrefixes(checker.ctx.allowedReadPrefixes)})`,
    );
    return false;
  }
  return true;
}

export function checkWriteUri(checker: Checker, uri: string, path: string, subject = uri): boolean {
  const error = s3UriError(uri);
  if (error !== undefined) {
    checker.problems.once(uri, path, 'MALFORMED_S3_URI', `${subject}: ${error}`);
    return false;
  }
  const location = parseS3Uri(uri);
  if (location === undefined || !checker.canWrite(location)) {
    checker.problems.once(
      uri,
      path,
      'WRITE_PREFIX_NOT_ALLOWED',
      `${subject} is not under a prefix ${checker.ctx.prefixOwner ?? 'this deployment'} may write (${describePrefixes(checker.ctx.allowedWritePrefixes)})`,
    );
    return false;
  }
  return true;
}
