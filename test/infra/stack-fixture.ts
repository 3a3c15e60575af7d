import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { type DeploySettingsInput, parseDeploySettings } from '../../infra/config.js';
import { GwmStack } from '../../infra/stack.js';

/** Settings of a typical deployment: two input prefixes, one output bucket, one subscriber. */
export const SETTINGS: DeploySettingsInput = {
  allowedInputPrefixes: ['s3://lab-inputs/fastq/', 's3://lab-references'],
  allowedOutputPrefixes: ['s3://lab-results/gwm/'],
  notificationEmails: ['ops@example.org'],
};

/**
 * The stack as CloudFormation sees it. Bundling is skipped (context `aws:cdk:bundling-stacks`
 * empty): the functions' code is not built, everything else is.
 */
export function synthesize(overrides: Partial<DeploySettingsInput> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new GwmStack(app, 'Test', { settings: parseDeploySettings({ ...SETTINGS, ...overrides }) });
  return { app, stack, template: Template.fromStack(stack) };
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

export function resourcesOf(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

export type FunctionKey =
  | 'intake'
  | 'launcher'
  | 'tracker'
  | 'aggregator'
  | 'reconciler'
  | 'costCollector'
  | 'restoreTracker';

export function functionsOf(stack: GwmStack) {
  return {
    intake: stack.intake.function,
    launcher: stack.launcher.function,
    tracker: stack.tracker.function,
    aggregator: stack.aggregator.function,
    reconciler: stack.reconciler.function,
    costCollector: stack.costCollector.function,
    restoreTracker: stack.restoreTracker.function,
  } satisfies Record<FunctionKey, unknown>;
}

/** The logical id of an L2 construct's CloudFormation resource. */
export function logicalIdOf(stack: GwmStack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** The logical ids of each function and of its role. */
export function logicalIdsOf(stack: GwmStack): Record<FunctionKey, { function: string; role: string }> {
  const ids = (construct: IConstruct) => logicalIdOf(stack, construct);
  const functions = functionsOf(stack);
  return Object.fromEntries(
    Object.entries(functions).map(([key, fn]) => [key, { function: ids(fn.fn), role: ids(fn.role) }]),
  ) as Record<FunctionKey, { function: string; role: string }>;
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
}

export const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every statement of the identity policies attached to the role of `roleLogicalId`. */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((policy) =>
      (policy.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleLogicalId),
    )
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** Every identity-policy statement in the template: inline role policies, policies, managed policies. */
export function allIdentityStatements(template: Template): Array<Statement & { policy: string }> {
  const statements: Array<Statement & { policy: string }> = [];
  for (const [id, policy] of Object.entries(resourcesOf(template, 'AWS::IAM::Policy'))) {
    for (const statement of (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement) {
      statements.push({ ...statement, policy: id });
    }
  }
  for (const [id, policy] of Object.entries(resourcesOf(template, 'AWS::IAM::ManagedPolicy'))) {
    for (const statement of (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement) {
      statements.push({ ...statement, policy: id });
    }
  }
  for (const [id, role] of Object.entries(resourcesOf(template, 'AWS::IAM::Role'))) {
    const inline = (role.Properties.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>;
    for (const policy of inline) {
      for (const statement of policy.PolicyDocument.Statement) statements.push({ ...statement, policy: id });
    }
  }
  return statements;
}

/** One resource of the template by type and logical id; a missing one fails the test with its id. */
export function resourceOf(template: Template, type: string, logicalId: string) {
  const resource = resourcesOf(template, type)[logicalId];
  if (resource === undefined) throw new Error(`no ${type} ${logicalId} in the template`);
  return resource;
}

/** A function's environment variables as the template has them (references unresolved). */
export function variablesOf(template: Template, functionId: string): Record<string, unknown> {
  const properties = resourceOf(template, 'AWS::Lambda::Function', functionId).Properties;
  return (properties.Environment as { Variables: Record<string, unknown> }).Variables;
}
