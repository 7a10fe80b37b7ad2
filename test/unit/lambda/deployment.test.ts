import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { STACK_OUTPUTS } from '../../../infra/stack-outputs.js';
import {
  DeploymentError,
  describeDeployment,
  findDeployment,
  readOutputsFile,
} from '../../../sdk/launch/lambda/deployment.js';

const outputs = {
  [STACK_OUTPUTS.rankFunctionName]: 'tsmpi-ab-rank',
  [STACK_OUTPUTS.rankFunctionArn]: 'arn:aws:lambda:eu-west-1:1:function:tsmpi-ab-rank',
  [STACK_OUTPUTS.bucketName]: 'bucket',
  [STACK_OUTPUTS.queuePrefix]: 'tsmpi-ab',
  [STACK_OUTPUTS.region]: 'eu-west-1',
  [STACK_OUTPUTS.stackName]: 'TsmpiCloud',
};
const expected = {
  stackName: 'TsmpiCloud',
  region: 'eu-west-1',
  rankFunctionName: 'tsmpi-ab-rank',
  rankFunctionNames: ['tsmpi-ab-rank'],
  rankFunctionArn: 'arn:aws:lambda:eu-west-1:1:function:tsmpi-ab-rank',
  bucketName: 'bucket',
  queuePrefix: 'tsmpi-ab',
};

function file(content: unknown): string {
  const f = join(mkdtempSync(join(tmpdir(), 'tsmpi-dep-')), 'outputs.json');
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
}

const cfn = new CloudFormationClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
});

describe('finding the deployment', () => {
  it('reads a `cdk deploy --outputs-file` file: the only stack, or the one named', () => {
    expect(readOutputsFile(file({ TsmpiCloud: outputs }))).toEqual({ ...expected, source: 'outputs-file' });
    const two = file({ Other: {}, TsmpiCloud: outputs });
    expect(readOutputsFile(two).stackName).toBe('TsmpiCloud');
    expect(() => readOutputsFile(two, 'Nope')).toThrow(/has no stack Nope; it has Other, TsmpiCloud/);
  });

  it('says an empty outputs file is empty, and asks for --stack when it cannot choose', () => {
    const empty = file({});
    expect(() => readOutputsFile(empty)).toThrow(
      new RegExp(
        `^the outputs file ${empty} has no stack in it: write it with \`npx cdk deploy --outputs-file`,
      ),
    );
    expect(() => readOutputsFile(file({ A: outputs, B: outputs }))).toThrow(
      /has several stacks \(A, B\): pick one with --stack$/,
    );
  });

  it('says what is missing and how to fix it', () => {
    const { BucketName: _b, ...partial } = outputs;
    expect(() => readOutputsFile(file({ S: partial }))).toThrow(
      /stack S lacks the output\(s\) BucketName in the outputs file: .*npx cdk deploy/,
    );
    expect(() => readOutputsFile(file('{'))).toThrow(DeploymentError);
    expect(() => readOutputsFile('/nope.json')).toThrow(/cannot read the outputs file \/nope\.json/);
  });

  it('reads the outputs of a stack from CloudFormation; a missing or failed stack says to deploy', async () => {
    const mock = mockClient(cfn);
    mock.on(DescribeStacksCommand).resolvesOnce({
      Stacks: [
        {
          StackName: 'TsmpiCloud',
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        },
      ],
    });
    expect(await describeDeployment(cfn, 'TsmpiCloud')).toEqual({ ...expected, source: 'cloudformation' });

    const missing = new Error('Stack with id TsmpiCloud does not exist');
    missing.name = 'ValidationError';
    mock.reset().on(DescribeStacksCommand).rejects(missing);
    await expect(findDeployment({ cloudformation: () => cfn })).rejects.toThrow(
      /^stack TsmpiCloud was not found in eu-west-1: deploy it with `npx cdk deploy`/,
    );
    mock
      .reset()
      .on(DescribeStacksCommand)
      .resolves({
        Stacks: [{ StackName: 'TsmpiCloud', StackStatus: 'ROLLBACK_COMPLETE', CreationTime: new Date() }],
      });
    await expect(describeDeployment(cfn, 'TsmpiCloud')).rejects.toThrow(/is in state ROLLBACK_COMPLETE/);
    mock.restore();
  });
});
