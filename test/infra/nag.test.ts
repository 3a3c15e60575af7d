import { Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { synthesize } from './stack-fixture.js';

/** Every acknowledgment (suppression) in the construct tree: rule id, reason, where. */
function acknowledgments(root: IConstruct): Array<{ id: string; reason: string; path: string }> {
  const found: Array<{ id: string; reason: string; path: string }> = [];
  const visit = (node: IConstruct) => {
    for (const entry of node.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ id: id.replace(/^Annotation::/, ''), reason, path: node.node.path });
      }
    }
    for (const child of node.node.children) visit(child);
  };
  visit(root);
  return found;
}

describe('cdk-nag AwsSolutions checks', () => {
  it.each([
    ['the example settings', {}],
    ['a given service role', { omicsServiceRoleArn: 'arn:aws:iam::123456789012:role/lab-omics-runs' }],
    ['named container repositories', { containerRepositories: ['nf-core/fastqc', 'lab/qc'] }],
    ['a throwaway stack', { removalPolicy: 'destroy' as const, notificationEmails: [] }],
    [
      'whole-bucket prefixes',
      { allowedInputPrefixes: ['s3://lab-inputs'], allowedOutputPrefixes: ['s3://lab-results/'] },
    ],
  ])('finds nothing unacknowledged with %s', (_name, overrides) => {
    // Prepare
    const { stack } = synthesize(overrides);
    // Act
    const report = new AwsSolutionsChecks().validateScope(stack);
    // Assess
    expect(
      report.violations.map(
        (violation) => `${violation.ruleName} at ${violation.violatingResources[0]?.constructPath}`,
      ),
    ).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('still reports a wildcard nobody acknowledged, beside the acknowledged ones on the same role', () => {
    // Prepare
    const { stack } = synthesize();
    stack.tracking.tracker.role.addToPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::somewhere/*'] }),
    );
    // Act
    const report = new AwsSolutionsChecks().validateScope(stack);
    // Assess
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([
      'AwsSolutions-IAM5[Resource::arn:aws:s3:::somewhere/*]',
    ]);
  });

  it('acknowledges findings one by one, each with a written reason', () => {
    // Prepare
    const { stack } = synthesize();
    // Act
    const all = acknowledgments(stack);
    // Assess
    expect(all.length).toBeGreaterThan(0);
    for (const { id, reason, path } of all) {
      expect(id, path).toMatch(/^AwsSolutions-[A-Z0-9]+(\[[^\]]+\])?$/);
      expect(reason.trim().length, `${id} at ${path}`).toBeGreaterThanOrEqual(40);
    }
    // Wildcard findings are acknowledged per resource, never for a whole rule.
    expect(all.filter(({ id }) => id === 'AwsSolutions-IAM5' || id === 'AwsSolutions-IAM4')).toEqual([]);
  });
});
