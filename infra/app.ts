/**
 * The CDK app of this repository (`cdk.json` runs it through `infra/run-app.mjs`): one
 * TsmpiCloudStack, checked by cdk-nag's AwsSolutions pack.
 *
 * Context: `stackName` (default `TsmpiCloud`), `rankEntry` (default: the package's
 * `functions/rank.ts`). The stack is environment-agnostic, so synthesis needs no credentials
 * and makes no lookups; `cdk deploy` takes account and region from the profile.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TsmpiCloudStack } from './tsmpi-cloud-stack.js';

const app = new App();
const stackName = contextString(app, 'stackName') ?? 'TsmpiCloud';
const rankEntry = contextString(app, 'rankEntry');
if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackName)) {
  throw new Error(
    `Expected context \`stackName\` to be a CloudFormation stack name (a letter, then letters, digits and '-', ` +
      `at most 128 characters), got \`${stackName}\``,
  );
}

new TsmpiCloudStack(app, stackName, {
  stackName,
  description: 'tsmpi-cloud: MPI-style ranks as Lambda invocations over SQS',
  tsmpi: rankEntry === undefined ? {} : { rankEntry },
});
// cdk-nag 3 is a policy-validation plugin: any unacknowledged finding fails the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();

function contextString(scope: App, key: string): string | undefined {
  const value: unknown = scope.node.tryGetContext(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new Error(`Expected context \`${key}\` to be a non-empty string, got \`${String(value)}\``);
  }
  return value;
}
