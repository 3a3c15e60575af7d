import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { describe, expect, it } from 'vitest';
import { synthesize } from './stack-fixture.js';

const RUNBOOKS = readFileSync(resolve(import.meta.dirname, '../../docs/runbooks.md'), 'utf8');

/** The names the runbook's alarm sections cover: `DeadLetters-<queue>` covers every DeadLetters-… alarm. */
function runbookPatterns(): RegExp[] {
  const headings = [...RUNBOOKS.matchAll(/^### (.+?):/gm)].map((match) => match[1] ?? '');
  return headings.flatMap((heading) =>
    [...heading.matchAll(/`([^`]+)`/g)].map((name) => {
      const pattern = (name[1] ?? '')
        .split(/<[^>]+>/)
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.+');
      return new RegExp(`^${pattern}$`);
    }),
  );
}

describe('runbooks', () => {
  it('has a section for every alarm the stack creates', () => {
    // Prepare
    const { stack, template } = synthesize();
    const alarms = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
    const ids = stack.node
      .findAll()
      .filter((construct) => construct instanceof Alarm)
      .map((construct) => construct.node.id);
    // Act
    const patterns = runbookPatterns();
    const missing = ids.filter((id) => !patterns.some((pattern) => pattern.test(id)));
    // Assess
    expect(ids.length).toBe(alarms.length);
    expect(missing).toEqual([]);
  });
});
