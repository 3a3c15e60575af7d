import { GwmError } from '../../../domain/errors.js';
import { isRecord } from '../../../domain/is-record.js';

/**
 * EventBridge event patterns, which Lambda event-source-mapping filters share, for the local event
 * router and stream pump: the same patterns the CDK rules and mappings use must select the same events.
 * Patterns are compiled once and checked as EventBridge checks them when a rule is created, so a
 * pattern AWS would refuse fails here too instead of silently matching nothing.
 */

export class InvalidEventPatternError extends GwmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('EVENT_PATTERN_INVALID', message, options);
    this.name = 'InvalidEventPatternError';
  }
}

export type EventMatcher = (event: unknown) => boolean;

type Leaf = string | number | boolean | null;
type LeafTest = (value: Leaf) => boolean;
type FieldTest = { exists: boolean } | LeafTest;

export function compilePattern(pattern: object): EventMatcher {
  if (!isRecord(pattern)) throw new InvalidEventPatternError('An event pattern must be a JSON object.');
  return compileObject(pattern, '');
}

export function matchesPattern(pattern: object, event: unknown): boolean {
  return compilePattern(pattern)(event);
}

export interface LambdaFilter {
  /** The pattern as a JSON string, as in FilterCriteria.Filters[].Pattern (CDK: `FilterCriteria.filter`). */
  pattern: string;
}

/** Lambda filter criteria: no filters lets every record through; otherwise any one matching filter does. */
export function matchesAnyFilter(filters: readonly LambdaFilter[] | undefined, record: unknown): boolean {
  if (filters === undefined || filters.length === 0) return true;
  return filters.some((filter) => compileFilter(filter.pattern)(record));
}

// Stream pumps check the same few filters on every record; parsing them once per record adds up.
const compiledFilters = new Map<string, EventMatcher>();
const MAX_CACHED_FILTERS = 500;

function compileFilter(source: string): EventMatcher {
  const cached = compiledFilters.get(source);
  if (cached) return cached;
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (error) {
    throw new InvalidEventPatternError(`A filter pattern is not valid JSON: ${source}`, { cause: error });
  }
  if (!isRecord(parsed))
    throw new InvalidEventPatternError(`A filter pattern must be a JSON object: ${source}`);
  const matcher = compileObject(parsed, '');
  if (compiledFilters.size >= MAX_CACHED_FILTERS) compiledFilters.clear();
  compiledFilters.set(source, matcher);
  return matcher;
}

function compileObject(pattern: Record<string, unknown>, path: string): EventMatcher {
  const tests: EventMatcher[] = Object.entries(pattern).map(([key, rule]) => {
    const at = path === '' ? key : `${path}.${key}`;
    if (key === '$or') return compileOr(rule, at);
    if (Array.isArray(rule)) {
      const leaf = compileLeaf(rule, at);
      return (node) => leaf(fieldOf(node, key));
    }
    if (isRecord(rule)) {
      const nested = compileObject(rule, at);
      return (node) => nested(fieldOf(node, key));
    }
    throw new InvalidEventPatternError(
      `${at}: expected an array of values or a nested object, got ${show(rule)}.`,
    );
  });
  const all = (node: unknown) => tests.every((test) => test(node));
  // Fields reached through an array of objects must all match within one element, as EventBridge does.
  return (node) => (Array.isArray(node) && node.length > 0 ? node.some(all) : all(node));
}

function compileOr(rule: unknown, at: string): EventMatcher {
  if (!Array.isArray(rule) || rule.length === 0 || !rule.every(isRecord)) {
    throw new InvalidEventPatternError(`${at}: $or takes a non-empty array of patterns.`);
  }
  const branches = rule.map((branch, index) => compileObject(branch, `${at}[${index}]`));
  return (node) => branches.some((branch) => branch(node));
}

function compileLeaf(rules: unknown[], at: string): EventMatcher {
  const tests = rules.map((rule, index) => compileFieldTest(rule, `${at}[${index}]`));
  return (field) => {
    const values = leafValues(field);
    return tests.some((test) =>
      typeof test === 'function' ? values.some(test) : test.exists === values.length > 0,
    );
  };
}

function compileFieldTest(rule: unknown, at: string): FieldTest {
  if (isLeaf(rule)) return (value) => value === rule;
  if (!isRecord(rule)) throw new InvalidEventPatternError(`${at}: unsupported value ${show(rule)}.`);
  const [entry, ...others] = Object.entries(rule);
  if (entry === undefined || others.length > 0) {
    throw new InvalidEventPatternError(
      `${at}: a matcher object takes exactly one operator, got ${show(rule)}.`,
    );
  }
  const [operator, operand] = entry;
  switch (operator) {
    case 'exists':
      if (typeof operand !== 'boolean')
        throw new InvalidEventPatternError(`${at}: exists takes true or false.`);
      return { exists: operand };
    case 'anything-but':
      return compileAnythingBut(operand, `${at}.anything-but`);
    case 'numeric':
      return compileNumeric(operand, `${at}.numeric`);
    default:
      return compileStringTest(operator, operand, at);
  }
}

/** Operators that test string values; also the forms allowed inside anything-but. */
function compileStringTest(operator: string, operand: unknown, at: string): LeafTest {
  switch (operator) {
    case 'prefix':
    case 'suffix': {
      const { text, ignoreCase } = affixOperand(operand, `${at}.${operator}`);
      const test = operator === 'prefix' ? String.prototype.startsWith : String.prototype.endsWith;
      return (value) =>
        typeof value === 'string' &&
        test.call(ignoreCase ? foldCase(value) : value, ignoreCase ? foldCase(text) : text);
    }
    case 'equals-ignore-case': {
      const text = stringOperand(operand, `${at}.equals-ignore-case`);
      const folded = foldCase(text);
      return (value) => typeof value === 'string' && foldCase(value) === folded;
    }
    case 'wildcard': {
      const expression = wildcardExpression(stringOperand(operand, `${at}.wildcard`), `${at}.wildcard`);
      return (value) => typeof value === 'string' && expression.test(value);
    }
    default:
      throw new InvalidEventPatternError(`${at}: unsupported operator "${operator}".`);
  }
}

function compileAnythingBut(operand: unknown, at: string): LeafTest {
  if (typeof operand === 'string' || typeof operand === 'number') return (value) => value !== operand;
  if (Array.isArray(operand)) {
    if (
      operand.length === 0 ||
      !operand.every((item) => typeof item === 'string' || typeof item === 'number')
    ) {
      throw new InvalidEventPatternError(`${at}: expected a non-empty list of strings or numbers.`);
    }
    const excluded: readonly Leaf[] = operand;
    return (value) => !excluded.includes(value);
  }
  if (isRecord(operand)) {
    const [entry, ...others] = Object.entries(operand);
    if (entry === undefined || others.length > 0) {
      throw new InvalidEventPatternError(
        `${at}: expected one of prefix, suffix, equals-ignore-case, wildcard.`,
      );
    }
    const [operator, inner] = entry;
    const excluded = Array.isArray(inner)
      ? inner.map((item, index) => compileStringTest(operator, item, `${at}.${operator}[${index}]`))
      : [compileStringTest(operator, inner, at)];
    return (value) => !excluded.some((test) => test(value));
  }
  throw new InvalidEventPatternError(`${at}: unsupported operand ${show(operand)}.`);
}

const COMPARISONS: Record<string, (value: number, bound: number) => boolean> = {
  '=': (value, bound) => value === bound,
  '<': (value, bound) => value < bound,
  '<=': (value, bound) => value <= bound,
  '>': (value, bound) => value > bound,
  '>=': (value, bound) => value >= bound,
};

function compileNumeric(operand: unknown, at: string): LeafTest {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0 || operand.length > 4) {
    throw new InvalidEventPatternError(`${at}: expected [operator, number] or two such pairs.`);
  }
  const checks: ((value: number) => boolean)[] = [];
  for (let index = 0; index < operand.length; index += 2) {
    const operator = operand[index];
    const bound = operand[index + 1];
    const compare = typeof operator === 'string' ? COMPARISONS[operator] : undefined;
    if (compare === undefined || typeof bound !== 'number' || !Number.isFinite(bound)) {
      throw new InvalidEventPatternError(`${at}: "${String(operator)}" ${show(bound)} is not a comparison.`);
    }
    checks.push((value) => compare(value, bound));
  }
  return (value) => typeof value === 'number' && checks.every((check) => check(value));
}

function affixOperand(operand: unknown, at: string): { text: string; ignoreCase: boolean } {
  if (typeof operand === 'string') return { text: operand, ignoreCase: false };
  if (isRecord(operand) && Object.keys(operand).length === 1) {
    const inner = operand['equals-ignore-case'];
    if (typeof inner === 'string') return { text: inner, ignoreCase: true };
  }
  throw new InvalidEventPatternError(`${at}: expected a string or {"equals-ignore-case": string}.`);
}

function stringOperand(operand: unknown, at: string): string {
  if (typeof operand !== 'string') throw new InvalidEventPatternError(`${at}: expected a string.`);
  return operand;
}

/** `*` matches any run of characters; `\*` and `\\` stand for a literal star and backslash. */
function wildcardExpression(wildcard: string, at: string): RegExp {
  let source = '';
  for (let index = 0; index < wildcard.length; index++) {
    const char = wildcard.charAt(index);
    if (char === '\\') {
      index++;
      const escaped = wildcard.charAt(index);
      if (escaped !== '*' && escaped !== '\\') {
        throw new InvalidEventPatternError(`${at}: a backslash may only escape * or \\.`);
      }
      source += escapeRegExp(escaped);
    } else if (char === '*') {
      source += '.*';
    } else {
      source += escapeRegExp(char);
    }
  }
  return new RegExp(`^${source}$`, 's');
}

/**
 * The leaf values at a field: arrays are flattened; objects are not leaves. EventBridge's exists
 * only looks at leaves, so a field holding an object counts as absent there.
 */
function leafValues(field: unknown): Leaf[] {
  if (isLeaf(field)) return [field];
  if (Array.isArray(field)) return field.flatMap(leafValues);
  return [];
}

function fieldOf(node: unknown, key: string): unknown {
  return isRecord(node) && Object.hasOwn(node, key) ? node[key] : undefined;
}

function isLeaf(value: unknown): value is Leaf {
  return (
    value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
  );
}

function foldCase(text: string): string {
  return text.toLowerCase();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
