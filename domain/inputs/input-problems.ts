import type { InputLocation, ManifestProblem } from '../manifest/types.js';
import type { InputState } from './input-state.js';

/**
 * The manifest problems of inputs S3 says cannot be used: one per place a missing or unreadable
 * URI is named (a URI named by several samples is reported at each of them), in document order.
 */
export function inputProblems(
  locations: readonly InputLocation[],
  states: ReadonlyMap<string, InputState>,
): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  for (const { uri, path } of locations) {
    const state = states.get(uri);
    if (state?.kind === 'missing') {
      problems.push({ path, code: 'INPUT_NOT_FOUND', message: `${uri} does not exist: ${state.reason}` });
    } else if (state?.kind === 'unreadable') {
      problems.push({
        path,
        code: 'INPUT_NOT_READABLE',
        message: `gwm may not read ${uri}: ${state.reason}`,
      });
    }
  }
  return problems;
}

/** The URIs S3 did not answer for: the check must be asked again, nothing may be judged yet. */
export function unanswered(states: ReadonlyMap<string, InputState>): { uri: string; reason: string }[] {
  return [...states].flatMap(([uri, state]) =>
    state.kind === 'unknown' ? [{ uri, reason: state.reason }] : [],
  );
}

/** Sizes by URI, for the inputs whose size is known: what the cost estimate rests on. */
export function sizesOf(states: ReadonlyMap<string, InputState>): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const [uri, state] of states) {
    if (state.kind === 'present' && state.sizeBytes !== undefined) sizes.set(uri, state.sizeBytes);
  }
  return sizes;
}
