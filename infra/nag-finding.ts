import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The id cdk-nag gives the AwsSolutions-IAM5 finding for a wildcard in `resource`, e.g.
 * `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:tsmpi-1a2b3c4d-*]`,
 * so the acknowledgment names exactly that resource (never the rule as a whole). The value is
 * resolved in its stack first, so the id is right whether the stack's environment is concrete
 * (literal partition, region and account) or not (pseudo-parameter references).
 */
export function iam5ResourceFinding(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnValue(Stack.of(scope).resolve(resource))}]`;
}

/** A resolved CloudFormation value as cdk-nag flattens it: `Ref` → `<Name>`, `Fn::GetAtt` → `<Name.Attr>`. */
function flattenCfnValue(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (value !== null && typeof value === 'object') {
    const node = value as Record<string, unknown>;
    if (Array.isArray(node['Fn::Join'])) {
      const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
      return parts.map(flattenCfnValue).join(separator);
    }
    if (node['Fn::Sub'] !== undefined) return flattenCfnValue(node['Fn::Sub']);
    if (Array.isArray(node['Fn::GetAtt'])) {
      const [resource, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenCfnValue(resource)}.${flattenCfnValue(attribute)}>`;
    }
    if (node.Ref !== undefined) return `<${flattenCfnValue(node.Ref)}>`;
  }
  return JSON.stringify(value);
}
