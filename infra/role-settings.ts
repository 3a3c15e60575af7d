import { Aspects, type IAspect, Names, Stack } from 'aws-cdk-lib';
import { CfnRole, ManagedPolicy, PermissionsBoundary } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { DeploySettings } from './config.js';

/** IAM's longest role name. */
export const ROLE_NAME_MAX_LENGTH = 64;

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
 * Names each role `<prefix><stack and construct path, shortened><hash>`: unique within the account
 * (two stacks of one app, or two deployments of different names, never collide: the stack's name
 * is part of the path the hash is taken from) and within IAM's 64 characters. A role given a name
 * elsewhere keeps it.
 */
export class RoleNamePrefix implements IAspect {
  constructor(private readonly prefix: string) {}

  visit(node: IConstruct): void {
    // An L2 role without a name holds a token that resolves to nothing.
    if (!(node instanceof CfnRole) || Stack.of(node).resolve(node.roleName) !== undefined) return;
    node.roleName = `${this.prefix}${Names.uniqueResourceName(node, {
      maxLength: ROLE_NAME_MAX_LENGTH - this.prefix.length,
      separator: '-',
    })}`;
  }
}
