/**
 * Finding the deployed stack: its outputs name the rank function, the bucket and the queue
 * prefix (see `STACK_OUTPUTS`). Two sources, in this order:
 *
 * 1. an outputs file written by `cdk deploy --outputs-file <file>` (`--outputs-file`, or the
 *    TSMPI_OUTPUTS_FILE environment variable): no AWS call needed;
 * 2. CloudFormation `DescribeStacks` of the stack (`--stack`, default `TsmpiCloud`).
 *
 * (This lives in `launch/` rather than `cli/` because the launcher needs it and layers depend
 * downwards only; `tsmpi-cloud doctor` imports it from here.)
 */

import { readFileSync } from 'node:fs';
import {
  type CloudFormationClient,
  DescribeStacksCommand,
  type DescribeStacksCommandOutput,
} from '@aws-sdk/client-cloudformation';
import { UsageError } from '../../base/errors.js';
import { ENV, OPTIONAL_STACK_OUTPUTS, STACK_OUTPUTS } from '../../base/stack-contract.js';

/** The stack name used when none is given. */
export const DEFAULT_STACK_NAME = 'TsmpiCloud';

export interface Deployment {
  stackName: string;
  region: string;
  /** Copy 0 of the rank function (the only one unless the stack has `rankFunctionCopies` > 1). */
  rankFunctionName: string;
  /**
   * Every copy of the rank function, copy 0 first (`RankFunctionNames`; just `[rankFunctionName]`
   * when the stack has one). The launcher spreads the invocations it makes over them round-robin.
   */
  rankFunctionNames: string[];
  rankFunctionArn: string;
  bucketName: string;
  queuePrefix: string;
  /** Where the outputs came from. */
  source: 'cloudformation' | 'outputs-file';
}

/** The stack cannot be found or its outputs are incomplete: the user deploys, or names the right stack. */
export class DeploymentError extends UsageError {
  constructor(message: string) {
    super(message, { code: 'DEPLOYMENT_NOT_FOUND' });
    this.name = 'DeploymentError';
  }
}

const DEPLOY_HINT =
  'deploy it with `npx cdk deploy` (see the README), or pass --stack / --region for another one';

/** Builds a Deployment from a stack's outputs (OutputKey → OutputValue); throws naming missing keys. */
export function deploymentFromOutputs(
  outputs: Record<string, unknown>,
  stackName: string,
  source: Deployment['source'],
): Deployment {
  const missing = Object.values(STACK_OUTPUTS).filter(
    (k) => typeof outputs[k] !== 'string' || outputs[k] === '',
  );
  if (missing.length > 0) {
    throw new DeploymentError(
      `stack ${stackName} lacks the output(s) ${missing.join(', ')}${source === 'outputs-file' ? ' in the outputs file' : ''}: ` +
        'it was not deployed by this version of tsmpi-cloud; deploy it again with `npx cdk deploy`',
    );
  }
  const get = (k: keyof typeof STACK_OUTPUTS) => outputs[STACK_OUTPUTS[k]] as string;
  const rankFunctionName = get('rankFunctionName');
  const names = outputs[OPTIONAL_STACK_OUTPUTS.rankFunctionNames];
  let rankFunctionNames = [rankFunctionName];
  if (names !== undefined) {
    const list = typeof names === 'string' ? names.split(',').map((n) => n.trim()) : [];
    if (list.length === 0 || list.some((n) => n === '') || list[0] !== rankFunctionName) {
      throw new DeploymentError(
        `stack ${stackName} has an invalid ${OPTIONAL_STACK_OUTPUTS.rankFunctionNames} output (${JSON.stringify(names)}): ` +
          `expected comma-separated function names starting with ${rankFunctionName}; deploy it again with \`npx cdk deploy\``,
      );
    }
    rankFunctionNames = list;
  }
  return {
    stackName: get('stackName'),
    region: get('region'),
    rankFunctionName,
    rankFunctionNames,
    rankFunctionArn: get('rankFunctionArn'),
    bucketName: get('bucketName'),
    queuePrefix: get('queuePrefix'),
    source,
  };
}

/**
 * Reads a `cdk deploy --outputs-file` JSON file: `{ "<StackName>": { "<OutputKey>": "<value>" } }`.
 * With several stacks in the file, `stackName` picks one (default: the only one, or `TsmpiCloud`).
 */
export function readOutputsFile(file: string, stackName?: string): Deployment {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DeploymentError(
      `cannot read the outputs file ${file} (${(err as Error).message}): write it with \`npx cdk deploy --outputs-file ${file}\``,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DeploymentError(
      `the outputs file ${file} is not a \`cdk deploy --outputs-file\` file: expected { "<StackName>": { ... } }`,
    );
  }
  const stacks = parsed as Record<string, unknown>;
  const names = Object.keys(stacks);
  const name =
    stackName ??
    (names.length === 1 ? names[0]! : names.includes(DEFAULT_STACK_NAME) ? DEFAULT_STACK_NAME : undefined);
  if (names.length === 0) {
    throw new DeploymentError(
      `the outputs file ${file} has no stack in it: write it with \`npx cdk deploy --outputs-file ${file}\` once the stack is deployed`,
    );
  }
  if (name === undefined || !Object.hasOwn(stacks, name)) {
    throw new DeploymentError(
      name === undefined
        ? `the outputs file ${file} has several stacks (${names.join(', ')}): pick one with --stack`
        : `the outputs file ${file} has no stack ${name}; it has ${names.join(', ')}`,
    );
  }
  const outputs = stacks[name];
  if (outputs === null || typeof outputs !== 'object') {
    throw new DeploymentError(`the outputs file ${file}: stack ${name} has no outputs object`);
  }
  return deploymentFromOutputs(outputs as Record<string, unknown>, name, 'outputs-file');
}

/** Reads the stack's outputs from CloudFormation. */
export async function describeDeployment(
  cloudformation: CloudFormationClient,
  stackName: string,
): Promise<Deployment> {
  let stacks: DescribeStacksCommandOutput;
  try {
    stacks = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
  } catch (err) {
    const e = err as Error;
    if (e.name === 'ValidationError' && /does not exist/i.test(e.message)) {
      const region = await cloudformation.config.region().catch(() => undefined);
      throw new DeploymentError(
        `stack ${stackName} was not found${region === undefined ? '' : ` in ${region}`}: ${DEPLOY_HINT}`,
      );
    }
    throw err;
  }
  const stack = stacks.Stacks?.[0];
  if (stack === undefined) throw new DeploymentError(`stack ${stackName} was not found: ${DEPLOY_HINT}`);
  const status = stack.StackStatus ?? '';
  if (!/_COMPLETE$/.test(status) || /^(DELETE|ROLLBACK)_/.test(status) || status === 'CREATE_FAILED') {
    throw new DeploymentError(
      `stack ${stackName} is in state ${status}: wait for the deployment to finish, or deploy it again with \`npx cdk deploy\``,
    );
  }
  const outputs: Record<string, string> = {};
  for (const o of stack.Outputs ?? []) {
    if (o.OutputKey !== undefined && o.OutputValue !== undefined) outputs[o.OutputKey] = o.OutputValue;
  }
  return deploymentFromOutputs(outputs, stackName, 'cloudformation');
}

/** The outputs file to use, if any: the option, else TSMPI_OUTPUTS_FILE. */
export function outputsFileFrom(
  option: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  return option ?? (env[ENV.outputsFile] || undefined);
}

/**
 * Finds the deployment: from the outputs file when one is given, else from CloudFormation.
 *
 * @example
 * const d = await findDeployment({ cloudformation, stackName: 'TsmpiCloud' });
 */
export async function findDeployment(options: {
  cloudformation: () => CloudFormationClient;
  stackName?: string;
  outputsFile?: string;
}): Promise<Deployment> {
  if (options.outputsFile !== undefined) return readOutputsFile(options.outputsFile, options.stackName);
  return describeDeployment(options.cloudformation(), options.stackName ?? DEFAULT_STACK_NAME);
}
