import { Aspects, type IAspect, Names, Stack } from 'aws-cdk-lib';
import { CfnRole, ManagedPolicy, PermissionsBoundary } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { DeploySettings } from './config.js';

/** IAM's longest role name. */
export const ROLE_NAME_MAX_LENGTH = 64;
/** The longest region name (`ap-southeast-4`, `us-gov-west-1`), with the dash before it. */
const REGION_SUFFIX_MAX_LENGTH = 15;

/**
 * What the deployment asks of every IAM role the stack creates, CDK's own included: a permissions
 * boundary (`permissionsBoundaryArn`) and a name starting with `roleNamePrefix`.
 */
export function applyRoleSettings(
  stack: Stack,
  settings: Pick<DeploySettings, 'permissionsBoundaryArn' | 'roleNamePrefix'>,
): void {
  if (settings.permissionsBoundaryArn !== undefined) {
    PermissionsBoundary.of(stack).apply(
      ManagedPolicy.fromManagedPolicyArn(stack, 'PermissionsBoundary', settings.permissionsBoundaryArn),
    );
  }
  if (settings.roleNamePrefix !== undefined)
    Aspects.of(stack).add(new RoleNamePrefix(settings.roleNamePrefix));
}

/**
 * Names each role `<prefix><stack and construct path, shortened>-<hash>-<region>`: unique within the
 * account, where IAM names are global (two stacks, or two deployments of different names, differ in
 * the path the hash is taken from; one stack deployed to two regions differs in the region), and
 * within IAM's 64 characters. A role given a name elsewhere keeps it.
 */
export class RoleNamePrefix implements IAspect {
  constructor(private readonly prefix: string) {}

  visit(node: IConstruct): void {
    // An L2 role without a name holds a token that resolves to nothing.
    if (!(node instanceof CfnRole) || Stack.of(node).resolve(node.roleName) !== undefined) return;
    const unique = Names.uniqueResourceName(node, {
      maxLength: ROLE_NAME_MAX_LENGTH - this.prefix.length - REGION_SUFFIX_MAX_LENGTH,
      separator: '-',
    });
    node.roleName = `${this.prefix}${unique}-${Stack.of(node).region}`;
  }
}
