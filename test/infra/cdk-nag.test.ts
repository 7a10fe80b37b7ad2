/**
 * cdk-nag's AwsSolutions pack over the stack. cdk-nag 3 is a CDK policy-validation plugin
 * (`Validations.of(app).addPlugins(...)`), not an Aspect, and findings are acknowledged with
 * `Validations.of(construct).acknowledge({ id, reason })` instead of `NagSuppressions`; it
 * reports violations, not annotations, so the assertions are on its report.
 */
import { type App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TsmpiCloud } from '../../infra/tsmpi-cloud-construct.js';
import type { TsmpiCloudStack } from '../../infra/tsmpi-cloud-stack.js';
import { testApp } from '../helpers/test-app.js';
import { cdkJsonContext, FIXTURE_RANK_ENTRY, synthTsmpiStack } from './infra-helpers.js';

const ACKNOWLEDGED = Validations.ACKNOWLEDGED_RULES_METADATA_KEY;

interface Acknowledgment {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

function acknowledgments(scope: IConstruct): Acknowledgment[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === ACKNOWLEDGED)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

/** The same tree with every acknowledgment removed, to see what they hide. */
function withoutAcknowledgments(scope: IConstruct): void {
  for (const construct of scope.node.findAll()) {
    const node = construct.node as unknown as { _metadata?: { type: string }[] };
    node._metadata = (node._metadata ?? []).filter((entry) => entry.type !== ACKNOWLEDGED);
  }
}

let stack: TsmpiCloudStack;
let app: App;

beforeAll(() => {
  ({ stack, app } = synthTsmpiStack('NagTest'));
});

describe('AwsSolutions checks', () => {
  it('find nothing unacknowledged in the stack', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('find nothing unacknowledged when the stack has a concrete account and region either', () => {
    // ARNs then carry literal partition, region and account instead of pseudo-parameters.
    const pinned = synthTsmpiStack('NagPinned', {
      env: { account: '123456789012', region: 'eu-west-1' },
    }).stack;
    expect(new AwsSolutionsChecks().validateScope(pinned).violations).toEqual([]);
  });

  it("find nothing unacknowledged on an app's own launcher role given grantLaunch, with a concrete environment or not", () => {
    for (const env of [undefined, { account: '123456789012', region: 'eu-west-1' }]) {
      const mine = new Stack(
        testApp({ context: cdkJsonContext() }),
        'MyApp',
        env === undefined ? {} : { env },
      );
      const tsmpi = new TsmpiCloud(mine, 'Tsmpi', { rankEntry: FIXTURE_RANK_ENTRY });
      tsmpi.grantLaunch(new Role(mine, 'Launcher', { assumedBy: new AccountRootPrincipal() }));
      expect(new AwsSolutionsChecks().validateScope(mine).violations).toEqual([]);
    }
  });

  it("still report the grantee's own wildcards after grantLaunch: its acknowledgments cover the grant's policy only", () => {
    const mine = new Stack(testApp({ context: cdkJsonContext() }), 'MyWide');
    const tsmpi = new TsmpiCloud(mine, 'Tsmpi', { rankEntry: FIXTURE_RANK_ENTRY });
    const role = new Role(mine, 'Launcher', { assumedBy: new AccountRootPrincipal() });
    role.addToPolicy(new PolicyStatement({ actions: ['ec2:TerminateInstances'], resources: ['*'] }));
    tsmpi.grantLaunch(role);
    const found = new AwsSolutionsChecks().validateScope(mine).violations.map((v) => v.ruleName);
    expect(found).toEqual(['AwsSolutions-IAM5[Resource::*]']);
  });

  it('let the app synthesize with the pack registered as a validation plugin (it fails the synth otherwise)', () => {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth({ force: true })).not.toThrow();
  });

  it('leave no error or warning annotations on the stack', () => {
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
    expect(annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
  });

  it('report findings on a non-compliant stack, so a clean report means something', () => {
    const badApp = testApp();
    const bad = new Stack(badApp, 'Bad');
    new Bucket(bad, 'Open');
    const role = new Role(bad, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(new PolicyStatement({ actions: ['sqs:*'], resources: ['*'] }));
    const rules = new AwsSolutionsChecks().validateScope(bad).violations.map((v) => v.ruleName);
    expect(rules).toEqual(
      expect.arrayContaining([
        'AwsSolutions-S1',
        'AwsSolutions-S10',
        'AwsSolutions-IAM5[Action::sqs:*]',
        'AwsSolutions-IAM5[Resource::*]',
      ]),
    );
    Validations.of(badApp).addPlugins(new AwsSolutionsChecks(badApp));
    expect(() => badApp.synth()).toThrow(/AwsSolutions-S10/);
  });
});

describe('acknowledgments', () => {
  it('each carry a specific written reason', () => {
    const all = acknowledgments(stack);
    expect(all.length).toBeGreaterThan(0);
    for (const { id, reason } of all) {
      expect(id).toMatch(/^AwsSolutions-/);
      expect(reason.length, `reason for ${id}`).toBeGreaterThanOrEqual(60);
    }
    expect(new Set(all.map((a) => a.reason)).size).toBe(all.length);
  });

  it('each hide a real finding, made on or under the construct they are attached to', () => {
    const all = acknowledgments(stack);
    const fresh = synthTsmpiStack('NagTest').stack;
    withoutAcknowledgments(fresh);
    const violations = new AwsSolutionsChecks().validateScope(fresh).violations;
    expect(violations.map((v) => v.ruleName).sort()).toEqual([...new Set(all.map((a) => a.id))].sort());
    for (const { path, id } of all) {
      const violation = violations.find((v) => v.ruleName === id);
      const where = violation?.violatingResources.map((r) => r.constructPath ?? '') ?? [];
      expect(
        where.some((p) => p === path || p.startsWith(`${path}/`)),
        `${id} acknowledged on ${path}, found on ${where.join(', ')}`,
      ).toBe(true);
    }
  });

  it('are exactly the expected ones: no blanket suppression', () => {
    const ids = acknowledgments(stack).map(({ path, id }) => `${path.replace('NagTest/Tsmpi/', '')}: ${id}`);
    const prefix = stack.tsmpi.queuePrefix;
    const queues = `arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:${prefix}-*`;
    // Sorted: '*' and '<' sort before 'a'.
    expect(ids.sort()).toEqual([
      'Bucket: AwsSolutions-S1',
      expect.stringMatching(/^RankRole: AwsSolutions-IAM5\[Resource::<TsmpiBucket\w+\.Arn>\/jobs\/\*\]$/),
      expect.stringMatching(/^RankRole: AwsSolutions-IAM5\[Resource::<TsmpiBucket\w+\.Arn>\/payloads\/\*\]$/),
      `RankRole: AwsSolutions-IAM5[Resource::${queues}]`,
      'SweeperRole: AwsSolutions-IAM5[Resource::*]',
      `SweeperRole: AwsSolutions-IAM5[Resource::${queues}]`,
    ]);
  });
});
