import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  compilePattern,
  InvalidEventPatternError,
  matchesAnyFilter,
  matchesPattern,
} from '../../infra/local/events/event-pattern.js';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));
}

const runStatusChangeRule = { source: ['aws.omics'], 'detail-type': ['Run Status Change'] };

describe('the aws.omics Run Status Change rule', () => {
  it('matches a current run event with every detail field', () => {
    // Prepare
    const event = fixture('omics-run-status-completed.json');

    // Act
    const matched = matchesPattern(runStatusChangeRule, event);

    // Assess
    expect(matched).toBe(true);
  });

  it('matches a legacy run event that carries only omicsVersion, arn and status', () => {
    // Prepare
    const event = fixture('omics-run-status-failed-legacy.json');

    // Act
    const matched = matchesPattern(runStatusChangeRule, event);

    // Assess
    expect(matched).toBe(true);
  });

  it('does not match a Task Status Change event from the same source', () => {
    // Prepare
    const event = fixture('omics-task-status-running.json');

    // Act
    const matched = matchesPattern(runStatusChangeRule, event);

    // Assess
    expect(matched).toBe(false);
  });

  it('narrows to terminal statuses with a nested detail pattern', () => {
    // Prepare
    const terminalOnly = { ...runStatusChangeRule, detail: { status: ['COMPLETED', 'FAILED', 'CANCELLED'] } };

    // Act
    const completed = matchesPattern(terminalOnly, fixture('omics-run-status-completed.json'));
    const failed = matchesPattern(terminalOnly, fixture('omics-run-status-failed-legacy.json'));
    const running = matchesPattern(terminalOnly, fixture('omics-task-status-running.json'));

    // Assess
    expect([completed, failed, running]).toEqual([true, true, false]);
  });
});

describe('exact values', () => {
  it('matches a string, a number, a boolean and null exactly', () => {
    // Prepare
    const pattern = { name: ['run'], count: [3], cached: [false], note: [null] };

    // Act
    const exact = matchesPattern(pattern, { name: 'run', count: 3, cached: false, note: null });
    const numberAsText = matchesPattern(pattern, { name: 'run', count: '3', cached: false, note: null });
    const otherBoolean = matchesPattern(pattern, { name: 'run', count: 3, cached: true, note: null });
    const missingNull = matchesPattern(pattern, { name: 'run', count: 3, cached: false });

    // Assess
    expect([exact, numberAsText, otherBoolean, missingNull]).toEqual([true, false, false, false]);
  });

  it('matches when the event value equals any value listed', () => {
    // Prepare
    const pattern = { status: ['RUNNING', 'STARTING'] };

    // Act
    const starting = matchesPattern(pattern, { status: 'STARTING' });
    const pending = matchesPattern(pattern, { status: 'PENDING' });

    // Assess
    expect([starting, pending]).toEqual([true, false]);
  });

  it('compares numbers by value, so 300 matches 3e2', () => {
    // Prepare
    const pattern = { size: [300] };

    // Act
    const matched = matchesPattern(pattern, JSON.parse('{"size": 3e2}'));

    // Assess
    expect(matched).toBe(true);
  });

  it('is case-sensitive', () => {
    // Prepare
    const pattern = { status: ['COMPLETED'] };

    // Act
    const matched = matchesPattern(pattern, { status: 'completed' });

    // Assess
    expect(matched).toBe(false);
  });

  it('requires every field of the pattern to match', () => {
    // Prepare
    const pattern = { source: ['aws.omics'], detail: { status: ['FAILED'] } };

    // Act
    const matched = matchesPattern(pattern, { source: 'aws.omics', detail: { status: 'COMPLETED' } });

    // Assess
    expect(matched).toBe(false);
  });

  it('ignores event fields the pattern does not mention', () => {
    // Prepare
    const pattern = { source: ['aws.omics'] };

    // Act
    const matched = matchesPattern(pattern, { source: 'aws.omics', extra: { deep: [1, 2] } });

    // Assess
    expect(matched).toBe(true);
  });
});

describe('absent fields', () => {
  it('fails the match when a pattern field is missing from the event', () => {
    // Prepare
    const pattern = { detail: { runId: ['2101313'] } };

    // Act
    const matched = matchesPattern(pattern, fixture('omics-run-status-failed-legacy.json'));

    // Assess
    expect(matched).toBe(false);
  });

  it('fails the match when a nested object of the pattern is missing from the event', () => {
    // Prepare
    const pattern = { detail: { status: ['FAILED'] } };

    // Act
    const matched = matchesPattern(pattern, { source: 'aws.omics' });

    // Assess
    expect(matched).toBe(false);
  });
});

describe('arrays in the event', () => {
  it('matches when any element of an array field matches', () => {
    // Prepare
    const pattern = { resources: [{ prefix: 'arn:aws:omics:us-west-2:123456789012:run/' }] };

    // Act
    const run = matchesPattern(pattern, fixture('omics-run-status-completed.json'));
    const task = matchesPattern(pattern, fixture('omics-task-status-running.json'));

    // Assess
    expect([run, task]).toEqual([true, false]);
  });

  it('matches a nested pattern against each object of an array', () => {
    // Prepare
    const pattern = { items: { kind: ['QC'] } };

    // Act
    const matched = matchesPattern(pattern, { items: [{ kind: 'SAMPLE' }, { kind: 'QC' }] });

    // Assess
    expect(matched).toBe(true);
  });

  it('requires the fields of a nested pattern to match within the same array element', () => {
    // Prepare
    const pattern = { items: { kind: ['QC'], status: ['FAILED'] } };

    // Act
    const sameElement = matchesPattern(pattern, {
      items: [
        { kind: 'SAMPLE', status: 'COMPLETED' },
        { kind: 'QC', status: 'FAILED' },
      ],
    });
    const splitAcrossElements = matchesPattern(pattern, {
      items: [
        { kind: 'QC', status: 'COMPLETED' },
        { kind: 'SAMPLE', status: 'FAILED' },
      ],
    });

    // Assess
    expect([sameElement, splitAcrossElements]).toEqual([true, false]);
  });
});

describe('prefix and suffix', () => {
  it('matches the start of a string with prefix', () => {
    // Prepare
    const pattern = { detail: { runOutputUri: [{ prefix: 's3://amzn-s3-demo-bucket/' }] } };

    // Act
    const matched = matchesPattern(pattern, fixture('omics-run-status-completed.json'));
    const other = matchesPattern(pattern, { detail: { runOutputUri: 's3://other-bucket/run-output/1' } });

    // Assess
    expect([matched, other]).toEqual([true, false]);
  });

  it('matches the end of a string with suffix', () => {
    // Prepare
    const pattern = { key: [{ suffix: '.json' }] };

    // Act
    const json = matchesPattern(pattern, { key: 'manifests/flowcell.json' });
    const csv = matchesPattern(pattern, { key: 'manifests/flowcell.csv' });

    // Assess
    expect([json, csv]).toEqual([true, false]);
  });

  it('accepts equals-ignore-case inside prefix and suffix', () => {
    // Prepare
    const pattern = {
      key: [{ prefix: { 'equals-ignore-case': 'MANIFESTS/' } }],
      name: [{ suffix: { 'equals-ignore-case': '.JSON' } }],
    };

    // Act
    const matched = matchesPattern(pattern, { key: 'manifests/a.json', name: 'a.json' });

    // Assess
    expect(matched).toBe(true);
  });

  it('never matches a number with a string operator', () => {
    // Prepare
    const pattern = { runId: [{ prefix: '21' }] };

    // Act
    const matched = matchesPattern(pattern, { runId: 2101313 });

    // Assess
    expect(matched).toBe(false);
  });
});

describe('anything-but', () => {
  it('matches any value other than a single excluded one', () => {
    // Prepare
    const pattern = { status: [{ 'anything-but': 'RUNNING' }] };

    // Act
    const completed = matchesPattern(pattern, { status: 'COMPLETED' });
    const running = matchesPattern(pattern, { status: 'RUNNING' });

    // Assess
    expect([completed, running]).toEqual([true, false]);
  });

  it('matches any value outside a list of strings or numbers', () => {
    // Prepare
    const statuses = { status: [{ 'anything-but': ['PENDING', 'STARTING', 'RUNNING'] }] };
    const codes = { code: [{ 'anything-but': [400, 404] }] };

    // Act
    const failed = matchesPattern(statuses, { status: 'FAILED' });
    const pending = matchesPattern(statuses, { status: 'PENDING' });
    const serverError = matchesPattern(codes, { code: 500 });
    const notFound = matchesPattern(codes, { code: 404 });

    // Assess
    expect([failed, pending, serverError, notFound]).toEqual([true, false, true, false]);
  });

  it('excludes values by prefix', () => {
    // Prepare
    const pattern = { key: [{ 'anything-but': { prefix: 'tmp/' } }] };

    // Act
    const kept = matchesPattern(pattern, { key: 'manifests/a.json' });
    const excluded = matchesPattern(pattern, { key: 'tmp/a.json' });

    // Assess
    expect([kept, excluded]).toEqual([true, false]);
  });

  it('excludes values by suffix and by case-insensitive equality', () => {
    // Prepare
    const bySuffix = { key: [{ 'anything-but': { suffix: '.tmp' } }] };
    const byCase = { status: [{ 'anything-but': { 'equals-ignore-case': ['failed', 'cancelled'] } }] };

    // Act
    const partial = matchesPattern(bySuffix, { key: 'upload.tmp' });
    const cancelled = matchesPattern(byCase, { status: 'CANCELLED' });
    const completed = matchesPattern(byCase, { status: 'COMPLETED' });

    // Assess
    expect([partial, cancelled, completed]).toEqual([false, false, true]);
  });

  it('does not match an absent field', () => {
    // Prepare
    const pattern = { detail: { runId: [{ 'anything-but': '0' }] } };

    // Act
    const matched = matchesPattern(pattern, fixture('omics-run-status-failed-legacy.json'));

    // Assess
    expect(matched).toBe(false);
  });
});

describe('exists', () => {
  it('matches a present field with exists true and an absent one with exists false', () => {
    // Prepare
    const hasRunId = { detail: { runId: [{ exists: true }] } };
    const lacksRunId = { detail: { runId: [{ exists: false }] } };
    const current = fixture('omics-run-status-completed.json');
    const legacy = fixture('omics-run-status-failed-legacy.json');

    // Act
    const results = [
      matchesPattern(hasRunId, current),
      matchesPattern(hasRunId, legacy),
      matchesPattern(lacksRunId, current),
      matchesPattern(lacksRunId, legacy),
    ];

    // Assess
    expect(results).toEqual([true, false, false, true]);
  });

  it('counts null as present', () => {
    // Prepare
    const pattern = { failureReason: [{ exists: true }] };

    // Act
    const matched = matchesPattern(pattern, { failureReason: null });

    // Assess
    expect(matched).toBe(true);
  });

  it('treats an empty array as absent', () => {
    // Prepare
    const pattern = { resources: [{ exists: false }] };

    // Act
    const matched = matchesPattern(pattern, { resources: [] });

    // Assess
    expect(matched).toBe(true);
  });

  it('looks only at leaf values, so a field holding an object does not exist for it', () => {
    // Prepare
    const pattern = { detail: [{ exists: true }] };

    // Act
    const matched = matchesPattern(pattern, { detail: { status: 'RUNNING' } });

    // Assess
    expect(matched).toBe(false);
  });

  it('matches exists false when the enclosing object is missing', () => {
    // Prepare
    const pattern = { detail: { runId: [{ exists: false }] } };

    // Act
    const matched = matchesPattern(pattern, { source: 'aws.omics' });

    // Assess
    expect(matched).toBe(true);
  });
});

describe('equals-ignore-case', () => {
  it('matches a string whatever its case', () => {
    // Prepare
    const pattern = { 'detail-type': [{ 'equals-ignore-case': 'run status change' }] };

    // Act
    const run = matchesPattern(pattern, fixture('omics-run-status-completed.json'));
    const task = matchesPattern(pattern, fixture('omics-task-status-running.json'));

    // Assess
    expect([run, task]).toEqual([true, false]);
  });
});

describe('numeric', () => {
  it('matches a number inside a range', () => {
    // Prepare
    const pattern = { attempt: [{ numeric: ['>', 0, '<=', 5] }] };

    // Act
    const results = [0, 1, 5, 6].map((attempt) => matchesPattern(pattern, { attempt }));

    // Assess
    expect(results).toEqual([false, true, true, false]);
  });

  it('supports every comparison operator', () => {
    // Prepare
    const operators = ['=', '<', '<=', '>', '>='] as const;

    // Act
    const results = operators.map((operator) => [
      matchesPattern({ n: [{ numeric: [operator, 2] }] }, { n: 1 }),
      matchesPattern({ n: [{ numeric: [operator, 2] }] }, { n: 2 }),
      matchesPattern({ n: [{ numeric: [operator, 2] }] }, { n: 3 }),
    ]);

    // Assess
    expect(results).toEqual([
      [false, true, false],
      [true, false, false],
      [true, true, false],
      [false, false, true],
      [false, true, true],
    ]);
  });

  it('does not match a number written as a string', () => {
    // Prepare
    const pattern = { priority: [{ numeric: ['>=', 1] }] };

    // Act
    const matched = matchesPattern(pattern, { priority: '5' });

    // Assess
    expect(matched).toBe(false);
  });
});

describe('wildcard', () => {
  // Each case: a field's wildcard pattern, the values tried for that field, and which match.
  it.each([
    {
      title: 'matches any run of characters at each star',
      field: 'key',
      wildcard: 'manifests/*/flowcell-*.json',
      values: [
        'manifests/team-a/flowcell-HK3H3.json',
        'inputs/team-a/flowcell-HK3H3.json',
        'manifests/team-a/flowcell-HK3H3.csv',
      ],
      matches: [true, false, false],
    },
    {
      title: 'treats an escaped star as a literal star and other characters literally',
      field: 'name',
      wildcard: 'a\\*b.c',
      values: ['a*b.c', 'axxb.c', 'a*bxc'],
      matches: [true, false, false],
    },
  ])('$title', ({ field, wildcard, values, matches }) => {
    // Act
    const matched = values.map((value) => matchesPattern({ [field]: [{ wildcard }] }, { [field]: value }));

    // Assess
    expect(matched).toEqual(matches);
  });
});

describe('$or', () => {
  it('matches when any branch matches', () => {
    // Prepare
    const pattern = {
      source: ['aws.omics'],
      $or: [{ detail: { status: ['FAILED'] } }, { detail: { runId: [{ exists: false }] } }],
    };

    // Act
    const failed = matchesPattern(pattern, fixture('omics-run-status-failed-legacy.json'));
    const completed = matchesPattern(pattern, fixture('omics-run-status-completed.json'));

    // Assess
    expect([failed, completed]).toEqual([true, false]);
  });

  it('works inside a nested object', () => {
    // Prepare
    const pattern = { detail: { $or: [{ status: ['CANCELLED'] }, { workflowId: ['1234567'] }] } };

    // Act
    const matched = matchesPattern(pattern, fixture('omics-run-status-completed.json'));

    // Assess
    expect(matched).toBe(true);
  });
});

describe('invalid patterns', () => {
  it.each([
    ['a bare string instead of a list', { source: 'aws.omics' }],
    ['an unknown operator', { source: [{ 'starts-with': 'aws' }] }],
    ['two operators in one matcher', { source: [{ prefix: 'a', suffix: 'b' }] }],
    ['a numeric range without a number', { n: [{ numeric: ['>', 'zero'] }] }],
    ['an unknown numeric operator', { n: [{ numeric: ['!=', 1] }] }],
    ['exists with a string', { n: [{ exists: 'yes' }] }],
    ['an empty $or', { $or: [] }],
    ['a wildcard escaping a plain letter', { n: [{ wildcard: '\\a' }] }],
  ])('refuses %s', (_label, pattern) => {
    // Prepare
    const compile = () => compilePattern(pattern);

    // Act / Assess
    expect(compile).toThrow(InvalidEventPatternError);
  });
});

describe('Lambda filter criteria', () => {
  const insertedRegistered = {
    eventName: 'INSERT',
    dynamodb: {
      Keys: { pk: { S: 'launch#1' }, sk: { S: 'launch' } },
      NewImage: { pk: { S: 'launch#1' }, status: { S: 'REGISTERED' }, attempt: { N: '1' } },
    },
  };

  it('lets every record through when there are no filters', () => {
    // Prepare
    const record = insertedRegistered;

    // Act
    const results = [matchesAnyFilter(undefined, record), matchesAnyFilter([], record)];

    // Assess
    expect(results).toEqual([true, true]);
  });

  it('matches a stream record whose new image satisfies a JSON filter', () => {
    // Prepare
    const filters = [
      {
        pattern: JSON.stringify({
          eventName: ['INSERT'],
          dynamodb: { NewImage: { status: { S: ['REGISTERED'] } } },
        }),
      },
    ];

    // Act
    const matched = matchesAnyFilter(filters, insertedRegistered);

    // Assess
    expect(matched).toBe(true);
  });

  it('matches when any one of several filters matches', () => {
    // Prepare
    const filters = [
      { pattern: JSON.stringify({ eventName: ['REMOVE'] }) },
      { pattern: JSON.stringify({ dynamodb: { NewImage: { status: { S: [{ prefix: 'REG' }] } } } }) },
    ];

    // Act
    const matched = matchesAnyFilter(filters, insertedRegistered);

    // Assess
    expect(matched).toBe(true);
  });

  it('drops a record that no filter matches', () => {
    // Prepare
    const filters = [
      { pattern: JSON.stringify({ eventName: ['MODIFY'] }) },
      { pattern: JSON.stringify({ dynamodb: { OldImage: { status: { S: ['FAILED'] } } } }) },
    ];

    // Act
    const matched = matchesAnyFilter(filters, insertedRegistered);

    // Assess
    expect(matched).toBe(false);
  });

  it('refuses a filter that is not valid JSON', () => {
    // Prepare
    const filters = [{ pattern: '{eventName: [INSERT]}' }];

    // Act / Assess
    expect(() => matchesAnyFilter(filters, insertedRegistered)).toThrow(InvalidEventPatternError);
  });
});
