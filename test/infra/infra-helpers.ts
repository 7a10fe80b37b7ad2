/** Shared by the infra tests: synthesis with the repository's cdk.json context, and IAM policy walkers. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Template } from 'aws-cdk-lib/assertions';
import { TsmpiCloudStack, type TsmpiCloudStackProps } from '../../infra/tsmpi-cloud-stack.js';
import { testApp } from '../helpers/test-app.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURE_RANK_ENTRY = fileURLToPath(
  new URL('../fixtures/infra/rank-fixture.ts', import.meta.url),
);

/** The `context` of cdk.json (feature flags), so tests synthesize exactly what `cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/** A TsmpiCloudStack on the fixture rank handler, in an App with cdk.json's context. */
export function synthTsmpiStack(id = 'TsmpiTest', props: TsmpiCloudStackProps = {}) {
  const app = testApp({ context: cdkJsonContext() });
  const stack = new TsmpiCloudStack(app, id, {
    ...props,
    tsmpi: { rankEntry: FIXTURE_RANK_ENTRY, ...props.tsmpi },
  });
  return { app, stack, template: Template.fromStack(stack) };
}

export interface FoundStatement {
  /** Logical id of the resource holding the statement. */
  readonly resource: string;
  readonly statement: Record<string, unknown>;
}

/**
 * Every IAM policy statement of a template: `AWS::IAM::Policy` and `AWS::IAM::ManagedPolicy`
 * documents and the inline `Policies` of `AWS::IAM::Role`/`User`/`Group`.
 */
export function policyStatements(template: Template): FoundStatement[] {
  const found: FoundStatement[] = [];
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties?: any }>;
  for (const [logicalId, resource] of Object.entries(resources)) {
    const documents: unknown[] = [];
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      documents.push(resource.Properties?.PolicyDocument);
    }
    if (['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group'].includes(resource.Type)) {
      for (const inline of resource.Properties?.Policies ?? []) documents.push(inline.PolicyDocument);
    }
    for (const document of documents) {
      const statements = (document as { Statement?: unknown })?.Statement;
      for (const statement of asArray(statements)) {
        found.push({ resource: logicalId, statement: statement as Record<string, unknown> });
      }
    }
  }
  return found;
}

/**
 * Concrete actions that must never be allowed on every resource: queue data and lifecycle,
 * bucket objects, invoking functions. A statement's action matches when its IAM pattern
 * (`*`, `?`, case-insensitive) covers one of them, so `sqs:*` or `*` count too.
 */
export const SCOPED_ACTIONS = [
  'sqs:SendMessage',
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:CreateQueue',
  'sqs:DeleteQueue',
  'sqs:GetQueueAttributes',
  'sqs:TagQueue',
  's3:GetObject',
  's3:PutObject',
  's3:DeleteObject',
  'lambda:InvokeFunction',
] as const;

/**
 * Allow statements that grant one of {@link SCOPED_ACTIONS} on Resource `*` (or with a
 * `NotResource`, which is "everything but"). Empty when the policy is least-privilege.
 */
export function wildcardResourceGrants(template: Template): FoundStatement[] {
  return policyStatements(template).filter(({ statement }) => {
    if (statement.Effect !== 'Allow') return false;
    const actions = asArray(statement.Action).map(String);
    const notActions = statement.NotAction !== undefined;
    const scoped =
      notActions || actions.some((action) => SCOPED_ACTIONS.some((a) => iamPattern(action).test(a)));
    if (!scoped) return false;
    if (statement.NotResource !== undefined) return true;
    return asArray(statement.Resource).some((resource) => resource === '*');
  });
}

/**
 * A CloudFormation value flattened to a string the way cdk-nag prints it: `Ref`s become
 * `<Name>`, `Fn::GetAtt` becomes `<Name.Attr>`, `Fn::Join` is joined.
 */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if ('Ref' in object) return `<${String(object.Ref)}>`;
    if ('Fn::GetAtt' in object) return `<${(object['Fn::GetAtt'] as unknown[]).join('.')}>`;
    if ('Fn::Join' in object) {
      const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(separator);
    }
  }
  return JSON.stringify(value);
}

export function asArray(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function iamPattern(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}
