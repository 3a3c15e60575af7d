import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * How cdk-nag names a resource in an IAM5 (wildcard) finding: references flattened to
 * `<Logical.Attr>` and `<AWS::Partition>`, so an acknowledgment names exactly one finding.
 */
export function flattenReference(scope: IConstruct, value: string): string {
  return flattenCfn(Stack.of(scope).resolve(value));
}

/** A CloudFormation value (string, Fn::Join, Fn::GetAtt, Ref) flattened the way cdk-nag shows it. */
export function flattenCfn(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const record = node as Record<string, unknown>;
    if (Array.isArray(record['Fn::Join'])) {
      const [delimiter, items] = record['Fn::Join'] as [string, unknown[]];
      return items.map(flattenCfn).join(delimiter);
    }
    if (Array.isArray(record['Fn::GetAtt'])) {
      const [resource, attribute] = record['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenCfn(resource)}.${flattenCfn(attribute)}>`;
    }
    if (record.Ref !== undefined) return `<${flattenCfn(record.Ref)}>`;
  }
  return JSON.stringify(node);
}

/**
 * Acknowledges cdk-nag's AwsSolutions-IAM5 finding for each wildcard resource, one by one, with
 * the reason the resource cannot be named more narrowly.
 */
export function acknowledgeWildcardResources(
  scope: IConstruct,
  resources: readonly string[],
  reason: string,
): void {
  for (const resource of resources) {
    Validations.of(scope).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${flattenReference(scope, resource)}]`,
      reason,
    });
  }
}
