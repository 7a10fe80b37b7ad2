/**
 * TEST-ONLY: the stack as CloudFormation would create it, read from a real synth.
 *
 * Synthesizes a TsmpiCloud (pre-bundled functions, as a user deploys it) plus a launcher role
 * granted with `grantLaunch`, into a temporary cloud assembly, and resolves the template's
 * intrinsics (`Ref`, `Fn::GetAtt`, `Fn::Join`, pseudo parameters) with fixed physical names, as
 * CloudFormation would at deploy time. From it come the functions' settings and code (for the
 * Lambda stand-in) and each role's policies (for the IAM evaluator).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { TsmpiCloud } from '../../infra/tsmpi-cloud-construct.js';
import type { TsmpiCloudProps } from '../../infra/tsmpi-cloud-props.js';
import { cdkJsonContext } from '../infra/infra-helpers.js';
import type { LambdaFunctionSpec } from './lambda-service.js';
import { testApp } from './test-app.js';

export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';

type Resource = { Type: string; Properties?: Record<string, any> };

export interface PrincipalPolicies {
  /** `arn:aws:iam::000000000000:role/<logical id>`. */
  arn: string;
  /** The resolved policy documents attached to the role. */
  policies: { name: string; policy: { Version?: string; Statement: Record<string, unknown>[] } }[];
}

export interface SynthesizedStack {
  stackName: string;
  queuePrefix: string;
  bucket: string;
  template: { Resources: Record<string, Resource> };
  rank: Omit<LambdaFunctionSpec, 'credentials'>;
  sweeper: Omit<LambdaFunctionSpec, 'credentials'>;
  /** The launcher role (granted with `grantLaunch`), the rank role and the sweeper role. */
  roles: { launcher: PrincipalPolicies; rank: PrincipalPolicies; sweeper: PrincipalPolicies };
  dispose(): void;
}

/** Synthesizes the stack; `bucket` is the physical name CloudFormation would have given the bucket. */
export function synthesizeStack(options: {
  stackName: string;
  bucket: string;
  props?: TsmpiCloudProps;
}): SynthesizedStack {
  const outdir = mkdtempSync(join(tmpdir(), 'tsmpi-synth-'));
  const app = testApp({ outdir, context: cdkJsonContext() });
  const stack = new Stack(app, options.stackName);
  const tsmpi = new TsmpiCloud(stack, 'Tsmpi', { timeout: Duration.minutes(15), ...options.props });
  const launcher = new Role(stack, 'Launcher', { assumedBy: new AccountRootPrincipal() });
  tsmpi.grantLaunch(launcher);
  const assembly = app.synth();
  const artifact = assembly.getStackByName(options.stackName);
  const template = artifact.template as { Resources: Record<string, Resource> };

  const names: Record<string, string> = {};
  const arns: Record<string, string> = {};
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type === 'AWS::S3::Bucket' && id.startsWith('TsmpiBucket')) {
      names[id] = options.bucket;
      arns[id] = `arn:aws:s3:::${options.bucket}`;
    } else if (r.Type === 'AWS::IAM::Role') {
      names[id] = id;
      arns[id] = `arn:aws:iam::${ACCOUNT}:role/${id}`;
    } else if (r.Type === 'AWS::Logs::LogGroup') {
      names[id] = `/aws/lambda/${id}`;
      arns[id] = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/${id}:*`;
    } else if (r.Type === 'AWS::Lambda::Function') {
      const name = String(r.Properties?.FunctionName ?? id);
      names[id] = name;
      arns[id] = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
    }
  }
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': REGION,
    'AWS::AccountId': ACCOUNT,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': options.stackName,
    'AWS::StackId': `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${options.stackName}/00000000-0000-4000-8000-000000000000`,
  };
  const resolve = (value: unknown): any => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const o = value as Record<string, unknown>;
    if ('Ref' in o) {
      const ref = String(o.Ref);
      const v = pseudo[ref] ?? names[ref];
      if (v === undefined) throw new Error(`synthesizeStack: cannot resolve Ref ${ref}`);
      return v;
    }
    if ('Fn::GetAtt' in o) {
      const [id, attr] = o['Fn::GetAtt'] as [string, string];
      if (attr === 'Arn' && arns[id] !== undefined) return arns[id];
      throw new Error(`synthesizeStack: cannot resolve Fn::GetAtt ${id}.${attr}`);
    }
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(resolve).join(sep);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolve(v)]));
  };

  const functionSpec = (prefix: string): Omit<LambdaFunctionSpec, 'credentials'> => {
    const [id, r] = Object.entries(template.Resources).find(
      ([k, v]) => v.Type === 'AWS::Lambda::Function' && k.startsWith(prefix),
    ) ?? [undefined, undefined];
    if (id === undefined || r === undefined) throw new Error(`synthesizeStack: no function ${prefix}*`);
    const p = resolve(r.Properties) as Record<string, any>;
    const invokeConfig = Object.values(template.Resources).find(
      (v) =>
        v.Type === 'AWS::Lambda::EventInvokeConfig' &&
        (v.Properties?.FunctionName as { Ref?: string })?.Ref === id,
    );
    // The default synthesizer stages each asset as `asset.<hash>` and names its object `<hash>.zip`.
    const codeDir = join(outdir, `asset.${String(p.Code?.S3Key).replace(/\.zip$/, '')}`);
    if (!existsSync(join(codeDir, 'index.mjs')))
      throw new Error(`synthesizeStack: no asset ${codeDir} for ${id}`);
    return {
      functionName: String(p.FunctionName),
      runtime: String(p.Runtime),
      handler: String(p.Handler),
      memoryMb: Number(p.MemorySize ?? 128),
      timeoutSeconds: Number(p.Timeout ?? 3),
      environment: (p.Environment?.Variables ?? {}) as Record<string, string>,
      codeDir,
      ...(p.ReservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrency: Number(p.ReservedConcurrentExecutions) }),
      // Lambda's defaults when the function has no event-invoke config.
      maximumRetryAttempts: Number(invokeConfig?.Properties?.MaximumRetryAttempts ?? 2),
      maximumEventAgeSeconds: Number(invokeConfig?.Properties?.MaximumEventAgeInSeconds ?? 21_600),
    };
  };

  const rolePolicies = (prefix: string): PrincipalPolicies => {
    const roleId = Object.keys(template.Resources).find(
      (k) => template.Resources[k]?.Type === 'AWS::IAM::Role' && k.startsWith(prefix),
    );
    if (roleId === undefined) throw new Error(`synthesizeStack: no role ${prefix}*`);
    const policies: PrincipalPolicies['policies'] = [];
    for (const [id, r] of Object.entries(template.Resources)) {
      if (r.Type !== 'AWS::IAM::Policy') continue;
      const roles = (r.Properties?.Roles ?? []) as { Ref?: string }[];
      if (!roles.some((x) => x.Ref === roleId)) continue;
      policies.push({ name: id, policy: resolve(r.Properties?.PolicyDocument) });
    }
    const role = template.Resources[roleId];
    if ((role?.Properties?.ManagedPolicyArns ?? []).length > 0) {
      throw new Error(
        `synthesizeStack: role ${roleId} has managed policies, which this evaluator does not load`,
      );
    }
    for (const inline of role?.Properties?.Policies ?? []) {
      policies.push({ name: inline.PolicyName, policy: resolve(inline.PolicyDocument) });
    }
    return { arn: arns[roleId]!, policies };
  };

  return {
    stackName: options.stackName,
    queuePrefix: tsmpi.queuePrefix,
    bucket: options.bucket,
    template,
    rank: functionSpec('TsmpiRankFunction'),
    sweeper: functionSpec('TsmpiSweeperFunction'),
    roles: {
      launcher: rolePolicies('Launcher'),
      rank: rolePolicies('TsmpiRankRole'),
      sweeper: rolePolicies('TsmpiSweeperRole'),
    },
    dispose: () => rmSync(outdir, { recursive: true, force: true }),
  };
}
