import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
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

/** The example of a deployment under its own keys, boundary and role names, with a LIMS bucket. */
const REGULATED = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../examples/deploy/gwm.config.regulated.json'), 'utf8'),
);

const key = (id: string) => `arn:aws:kms:eu-west-1:123456789012:key/${id}aaaaaa-1111-2222-3333-444455556666`;

/** Every setting that adds resources, grants or names: keys, boundary, role names, an existing bucket. */
const EVERYTHING = {
  region: 'eu-west-1',
  encryption: {
    tableKeyArn: key('11'),
    manifestBucketKeyArn: key('22'),
    queueKeyArn: key('33'),
    logGroupKeyArn: key('44'),
    dataBucketKeyArns: [key('55'), key('66')],
  },
  permissionsBoundaryArn: 'arn:aws:iam::123456789012:policy/lab-boundary',
  roleNamePrefix: 'lab-gwm-',
};

describe('cdk-nag AwsSolutions and HIPAA Security checks', () => {
  it.each([
    ['the example settings', {}],
    ['a given service role', { omicsServiceRoleArn: 'arn:aws:iam::123456789012:role/lab-omics-runs' }],
    ['named container repositories', { containerRepositories: ['nf-core/fastqc', 'lab/qc'] }],
    ['a throwaway stack', { removalPolicy: 'destroy' as const, notificationEmails: [] }],
    [
      'whole-bucket prefixes',
      { allowedInputPrefixes: ['s3://lab-inputs'], allowedOutputPrefixes: ['s3://lab-results/'] },
    ],
    ['customer-managed keys, a permissions boundary and role names', EVERYTHING],
    ['the regulated example (examples/deploy/gwm.config.regulated.json)', REGULATED],
    [
      'an existing manifest bucket under its own key',
      {
        region: EVERYTHING.region,
        manifests: { bucketName: 'lims-drop', prefix: 'run/' },
        encryption: EVERYTHING.encryption,
      },
    ],
  ])('finds nothing unacknowledged with %s', (_name, overrides) => {
    // Prepare
    const { stack } = synthesize(overrides);
    // Act
    const reports = [new AwsSolutionsChecks(), new HIPAASecurityChecks()].map((checks) =>
      checks.validateScope(stack),
    );
    // Assess
    for (const report of reports) {
      expect(
        report.violations.map(
          (violation) => `${violation.ruleName} at ${violation.violatingResources[0]?.constructPath}`,
        ),
      ).toEqual([]);
      expect(report.success).toBe(true);
    }
  });

  it('reports unencrypted log groups, and an unencrypted manifest bucket, only where no key was named', () => {
    // Prepare
    const { stack } = synthesize(EVERYTHING);
    const { stack: plain } = synthesize();
    // Act
    const acknowledged = (root: IConstruct) => acknowledgments(root).map(({ id }) => id);
    // Assess: with keys, nothing about encryption is acknowledged: the resources are encrypted
    expect(acknowledged(stack)).not.toContain('HIPAA.Security-CloudWatchLogGroupEncrypted');
    expect(
      acknowledgments(stack).filter(
        ({ id, path }) => id === 'HIPAA.Security-S3DefaultEncryptionKMS' && path.endsWith('/Manifests'),
      ),
    ).toEqual([]);
    expect(acknowledged(plain)).toContain('HIPAA.Security-CloudWatchLogGroupEncrypted');
  });

  it('still reports a wildcard nobody acknowledged, beside the acknowledged ones on the same role', () => {
    // Prepare
    const { stack } = synthesize();
    stack.tracker.function.role.addToPolicy(
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
      expect(id, path).toMatch(/^(AwsSolutions|HIPAA\.Security)-[A-Za-z0-9]+(\[[^\]]+\])?$/);
      expect(reason.trim().length, `${id} at ${path}`).toBeGreaterThanOrEqual(40);
    }
    // Wildcard findings are acknowledged per resource, never for a whole rule; nothing stack-wide.
    expect(all.filter(({ id }) => id === 'AwsSolutions-IAM5' || id === 'AwsSolutions-IAM4')).toEqual([]);
    expect(all.filter(({ path }) => path === stack.node.path)).toEqual([]);
  });
});
