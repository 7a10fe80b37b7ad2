/** The IAM walker the stack tests rely on must catch what it claims to: compliant / non-compliant stacks. */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Effect, Policy, PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { testApp } from '../helpers/test-app.js';
import { flatten, policyStatements, wildcardResourceGrants } from './infra-helpers.js';

function templateWith(...statements: PolicyStatement[]): Template {
  const stack = new Stack(testApp(), 'Iam');
  const role = new Role(stack, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  for (const statement of statements) role.addToPolicy(statement);
  return Template.fromStack(stack);
}

describe('wildcardResourceGrants', () => {
  it.each([
    ['sqs:SendMessage'],
    ['sqs:*'],
    ['SQS:receivemessage'],
    ['s3:PutObject'],
    ['s3:*Object'],
    ['s3:Get*'],
    ['lambda:InvokeFunction'],
    ['lambda:Invoke*'],
    ['*'],
  ])('flags %s on Resource "*"', (action) => {
    const found = wildcardResourceGrants(
      templateWith(new PolicyStatement({ actions: [action], resources: ['*'] })),
    );
    expect(found).toHaveLength(1);
    expect(found[0]?.statement.Resource).toBe('*');
  });

  it('flags a wildcard grant hidden among scoped resources and actions', () => {
    const template = templateWith(
      new PolicyStatement({
        actions: ['sqs:ListQueues', 'sqs:DeleteQueue'],
        resources: ['arn:aws:sqs:::q', '*'],
      }),
    );
    expect(wildcardResourceGrants(template)).toHaveLength(1);
  });

  it('flags NotResource, which grants everything but the listed resources', () => {
    const template = templateWith(
      new PolicyStatement({ actions: ['s3:GetObject'], notResources: ['arn:aws:s3:::private/*'] }),
    );
    expect(wildcardResourceGrants(template)).toHaveLength(1);
  });

  it('flags grants in separate policies and in inline role policies too', () => {
    const stack = new Stack(testApp(), 'Iam');
    const role = new Role(stack, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: {
        inline: new PolicyDocument({
          statements: [new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: ['*'] })],
        }),
      },
    });
    new Policy(stack, 'Extra', {
      roles: [role],
      statements: [new PolicyStatement({ actions: ['sqs:CreateQueue'], resources: ['*'] })],
    });
    expect(
      wildcardResourceGrants(Template.fromStack(stack))
        .map((f) => f.statement.Action)
        .sort(),
    ).toEqual(['lambda:InvokeFunction', 'sqs:CreateQueue']);
  });

  it('accepts sqs:ListQueues on "*", scoped ARNs, and Deny statements', () => {
    const template = templateWith(
      new PolicyStatement({ actions: ['sqs:ListQueues'], resources: ['*'] }),
      new PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: ['arn:aws:sqs:eu-west-1:123456789012:tsmpi-x-*'],
      }),
      new PolicyStatement({ effect: Effect.DENY, actions: ['s3:*'], resources: ['*'] }),
    );
    expect(policyStatements(template)).toHaveLength(3);
    expect(wildcardResourceGrants(template)).toEqual([]);
  });
});

describe('flatten', () => {
  it('renders Ref, GetAtt and Join the way cdk-nag names findings', () => {
    expect(
      flatten({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':x:', { 'Fn::GetAtt': ['B', 'Arn'] }, '/*']],
      }),
    ).toBe('arn:<AWS::Partition>:x:<B.Arn>/*');
  });
});
