import { createRequire } from 'node:module';
import {
  ArnFormat,
  CfnOutput,
  CustomResource,
  Duration,
  Names,
  RemovalPolicy,
  Stack,
  Token,
  Validations,
} from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import {
  type AddToPrincipalPolicyResult,
  Grant,
  type IGrantable,
  type IPrincipal,
  Policy,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFunctionResource, Runtime } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BUCKET_EXPIRY_DAYS, JOB_QUEUES_RESOURCE } from '../sdk/base/stack-contract.js';
import { iam5ResourceFinding } from './nag-finding.js';
import { functionAssetDir } from './package-root.js';
import {
  BUCKET_PREFIXES,
  ENV,
  OPTIONAL_STACK_OUTPUTS,
  RANK_ENVIRONMENT,
  STACK_OUTPUTS,
} from './stack-outputs.js';
import {
  type ResolvedTsmpiCloudProps,
  resolveTsmpiCloudProps,
  type TsmpiCloudProps,
  TsmpiCloudPropsError,
} from './tsmpi-cloud-props.js';

/** SQS actions a rank needs on its job's queues (batch calls are authorised by the single ones). */
export const RANK_QUEUE_ACTIONS = [
  'sqs:SendMessage',
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:CreateQueue',
  'sqs:DeleteQueue',
] as const;

/** SQS actions a launcher needs on its job's queues (create, follow the control queue, clean up). */
export const LAUNCHER_QUEUE_ACTIONS = [
  'sqs:CreateQueue',
  'sqs:DeleteQueue',
  'sqs:GetQueueAttributes',
  'sqs:SendMessage',
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
] as const;

/** How long an async invocation may wait in Lambda's queue: a rank starts now or never (60 s is Lambda's minimum). */
export const RANK_MAX_EVENT_AGE = Duration.seconds(60);
/** How often the sweeper runs. A leaked queue lives at most `maxJobAge` plus this. */
export const SWEEP_INTERVAL = Duration.minutes(15);

/**
 * Defines `require` in the ESM bundles: bundled CommonJS dependencies (parts of the AWS SDK)
 * call `require('node:…')`, which ES modules do not have.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __tsmpiCreateRequire } from 'node:module'; const require = __tsmpiCreateRequire(import.meta.url);";

/**
 * Bundling of a user's own `rankEntry` (the package's functions come pre-bundled, see
 * `scripts/bundle-functions.mjs`, with the same options): local esbuild only (never Docker),
 * ESM, minified, with source maps (the functions run with `--enable-source-maps`). The AWS SDK
 * is bundled rather than taken from the runtime, so the pinned client versions are the ones that run.
 */
const BUNDLING: BundlingOptions = {
  forceDockerBundling: false,
  format: OutputFormat.ESM,
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  sourceMap: true,
  bundleAwsSDK: true,
};

/**
 * The cloud side of tsmpi-cloud: one Lambda function whose invocations are the ranks, an S3
 * bucket for job code and large payloads, least-privilege IAM scoped to the stack's queue-name
 * prefix, log groups with retention, a scheduled sweeper for leaked queues, and the stack
 * outputs (`STACK_OUTPUTS`) the CLI reads. One per stack: the output keys are fixed.
 *
 * The rank and sweeper functions ship pre-bundled in the package (`dist/functions/<name>/`,
 * built with it), so synthesis needs neither esbuild nor a lock file and the asset hash is the
 * same on every machine. Only a custom `rankEntry` is bundled at synth time (a `NodejsFunction`,
 * with the esbuild installed next to `aws-cdk-lib`, never Docker; as for any `NodejsFunction`,
 * the directory of the app's lock file is the bundling project root).
 *
 * @example
 * import { App, Stack } from 'aws-cdk-lib';
 * import { TsmpiCloud } from 'tsmpi-cloud/infra';
 *
 * const stack = new Stack(new App(), 'Hpc');
 * // Two vCPUs per invocation: `run --backend aws` then runs 2 ranks per invocation by default.
 * new TsmpiCloud(stack, 'Tsmpi', { memorySize: 3538 });
 */
export class TsmpiCloud extends Construct {
  /** Every job queue is named `<queuePrefix>-<job>-<rank>`. */
  readonly queuePrefix: string;
  /**
   * The rank function (copy 0): one invocation per node of ranks (one rank per vCPU of `memorySize` by
   * default; a `NodejsFunction` when `rankEntry` is set).
   */
  readonly rankFunction: LambdaFunctionResource;
  /** Its explicit name, `<queuePrefix>-rank` (known at synth time, so it can appear in its own policy). */
  readonly rankFunctionName: string;
  /**
   * Every copy of the rank function (`rankFunctionCopies`), copy 0 (`rankFunction`) first;
   * copy i > 0 is named `<queuePrefix>-rank-<i>`, construct id `RankFunction<i>`.
   */
  readonly rankFunctions: LambdaFunctionResource[];
  /** Their names, copy 0 first. */
  readonly rankFunctionNames: string[];
  /** Execution role of the rank function. */
  readonly rankRole: Role;
  readonly rankLogGroup: LogGroup;
  /** Job code (`jobs/`) and payloads over the SQS limit (`payloads/`); both expire. */
  readonly bucket: Bucket;
  /** Deletes job queues older than `maxJobAge`. */
  readonly sweeperFunction: LambdaFunctionResource;
  readonly sweeperRole: Role;
  readonly sweeperLogGroup: LogGroup;
  /** Runs the sweeper every {@link SWEEP_INTERVAL}. */
  readonly sweeperSchedule: Rule;
  /**
   * Deletes every job queue of the prefix when the stack (or this construct) is deleted: queues
   * are made at run time, so CloudFormation would leave those a job left behind (served by the
   * sweeper function).
   */
  readonly jobQueues: CustomResource;
  /** The settings in effect, defaults applied. */
  readonly settings: ResolvedTsmpiCloudProps;

  constructor(scope: Construct, id: string, props: TsmpiCloudProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    // A nested stack is a stack of its own, with its own outputs: only this stack's constructs count.
    const others = stack.node
      .findAll()
      .filter((c) => c instanceof TsmpiCloud && c !== this && Stack.of(c) === stack);
    if (others.length > 0) {
      throw new TsmpiCloudPropsError(
        `Stack ${stack.stackName} already has a TsmpiCloud (${others[0]?.node.path}): ` +
          'its stack output keys are fixed, so put each TsmpiCloud in its own stack.',
      );
    }

    const settings = resolveTsmpiCloudProps(props, prefixSeed(stack));
    // Function names and IAM (`<prefix>-*`) collide across stacks of one account and region.
    const overlapping = this.node.root.node.findAll().find(
      (c): c is TsmpiCloud =>
        c instanceof TsmpiCloud &&
        c !== this &&
        // Undefined on one whose constructor threw (a test that goes on with the same App).
        c.queuePrefix !== undefined &&
        Stack.of(c).account === stack.account &&
        Stack.of(c).region === stack.region &&
        prefixesOverlap(c.queuePrefix, settings.queuePrefix),
    );
    if (overlapping !== undefined) {
      throw new TsmpiCloudPropsError(
        `\`queuePrefix\` \`${settings.queuePrefix}\` of ${this.node.path} overlaps \`${overlapping.queuePrefix}\` of ` +
          `${overlapping.node.path}, in the same account and region` +
          (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)
            ? ' (both stacks are environment-agnostic, so `cdk deploy` can put them in one)'
            : '') +
          ': their function names or their IAM and sweeper (`<queuePrefix>-*`) would collide. ' +
          'Give each TsmpiCloud its own prefix, neither one the other followed by `-`, or leave it unset',
      );
    }
    this.settings = settings;
    this.queuePrefix = settings.queuePrefix;
    this.rankFunctionName = `${settings.queuePrefix}-rank`;
    const copies = settings.rankFunctionCopies;
    this.rankFunctionNames = Array.from({ length: copies }, (_, i) =>
      i === 0 ? this.rankFunctionName : `${this.rankFunctionName}-${i}`,
    );
    const queueArns = stack.formatArn({
      service: 'sqs',
      resource: `${settings.queuePrefix}-*`,
      arnFormat: ArnFormat.NO_RESOURCE_NAME,
    });

    // --- Bucket ------------------------------------------------------------------------------
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: 'expire-job-code',
          prefix: BUCKET_PREFIXES.jobs,
          expiration: Duration.days(BUCKET_EXPIRY_DAYS.jobs),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        {
          id: 'expire-payloads',
          prefix: BUCKET_PREFIXES.payloads,
          expiration: Duration.days(BUCKET_EXPIRY_DAYS.payloads),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: settings.removalPolicy,
      autoDeleteObjects: settings.removalPolicy === RemovalPolicy.DESTROY,
      ...(settings.accessLogsBucket === undefined
        ? {}
        : {
            serverAccessLogsBucket: settings.accessLogsBucket,
            serverAccessLogsPrefix: `${settings.queuePrefix}/`,
          }),
    });
    if (settings.accessLogsBucket === undefined) {
      Validations.of(this.bucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason:
          "Scratch bucket: only the stack's own functions and launcher write to it, every object expires within two days; " +
          'pass `accessLogsBucket` to TsmpiCloud to turn server access logs on (or audit with CloudTrail data events).',
      });
    }

    // --- Rank function -----------------------------------------------------------------------
    this.rankLogGroup = new LogGroup(this, 'RankLogs', {
      retention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
    });
    this.rankRole = new Role(this, 'RankRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `tsmpi-cloud ranks: queues ${settings.queuePrefix}-*, the job bucket, invoking ranks`,
    });
    this.rankRole.addToPolicy(
      new PolicyStatement({ sid: 'JobQueues', actions: [...RANK_QUEUE_ACTIONS], resources: [queueArns] }),
    );
    const jobObjects = this.bucket.arnForObjects(`${BUCKET_PREFIXES.jobs}*`);
    const payloadObjects = this.bucket.arnForObjects(`${BUCKET_PREFIXES.payloads}*`);
    this.rankRole.addToPolicy(
      new PolicyStatement({
        sid: 'ReadJobCodeAndPayloads',
        actions: ['s3:GetObject'],
        resources: [jobObjects, payloadObjects],
      }),
    );
    this.rankRole.addToPolicy(
      new PolicyStatement({
        sid: 'WritePayloads',
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: [payloadObjects],
      }),
    );
    // Built from the explicit function name rather than `rankFunction.functionArn`: the
    // function depends on its role's policy, so referencing the function here would be a cycle.
    // A head invokes its subtree on its own copy: the role may invoke every copy.
    const rankFunctionArns = this.rankFunctionNames.map((name) =>
      stack.formatArn({
        service: 'lambda',
        resource: 'function',
        resourceName: name,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    );
    this.rankRole.addToPolicy(
      new PolicyStatement({
        sid: 'InvokeRanks',
        actions: ['lambda:InvokeFunction'],
        resources: rankFunctionArns,
      }),
    );
    this.rankLogGroup.grantWrite(this.rankRole);
    Validations.of(this.rankRole).acknowledge(
      {
        id: iam5ResourceFinding(this, queueArns),
        reason:
          'Job queues are created at run time, one per rank and job, so they cannot be named in advance; ' +
          "the wildcard is confined to this stack's queue-name prefix in its own account and region.",
      },
      {
        id: iam5ResourceFinding(this, jobObjects),
        reason:
          "Job code objects are keyed by content hash at run time; reading is confined to the jobs/ prefix of the stack's bucket.",
      },
      {
        id: iam5ResourceFinding(this, payloadObjects),
        reason:
          "Payload objects are keyed per message at run time; access is confined to the payloads/ prefix of the stack's bucket.",
      },
    );

    // Copies split a reservation evenly (the props check it is at least `copies`).
    const reservation =
      settings.reservedConcurrentExecutions === undefined
        ? undefined
        : Math.floor(settings.reservedConcurrentExecutions / copies);
    const rankOptions = {
      description: `tsmpi-cloud rank (stack ${stack.stackName}): one invocation runs one rank of a job`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: settings.memorySize,
      timeout: settings.timeout,
      role: this.rankRole,
      logGroup: this.rankLogGroup,
      ...(reservation === undefined ? {} : { reservedConcurrentExecutions: reservation }),
      retryAttempts: 0,
      maxEventAge: RANK_MAX_EVENT_AGE,
      environment: {
        [RANK_ENVIRONMENT.queuePrefix]: settings.queuePrefix,
        [RANK_ENVIRONMENT.bucket]: this.bucket.bucketName,
        [RANK_ENVIRONMENT.stack]: stack.stackName,
        NODE_OPTIONS: '--enable-source-maps',
      },
    };
    if (settings.rankEntry !== undefined) assertLocalEsbuild();
    // Identical copies: same asset (one upload, same hash), role, environment and log group.
    this.rankFunctions = this.rankFunctionNames.map((functionName, i) => {
      const id = i === 0 ? 'RankFunction' : `RankFunction${i}`;
      return settings.rankEntry === undefined
        ? new LambdaFunctionResource(this, id, {
            ...rankOptions,
            functionName,
            code: Code.fromAsset(functionAssetDir('rank')),
            handler: 'index.handler',
          })
        : new NodejsFunction(this, id, {
            ...rankOptions,
            functionName,
            entry: settings.rankEntry,
            handler: 'handler',
            bundling: BUNDLING,
          });
    });
    this.rankFunction = this.rankFunctions[0]!;

    // --- Sweeper -----------------------------------------------------------------------------
    this.sweeperLogGroup = new LogGroup(this, 'SweeperLogs', {
      retention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
    });
    this.sweeperRole = new Role(this, 'SweeperRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `tsmpi-cloud sweeper: deletes queues ${settings.queuePrefix}-* older than the maximum job age, and all at stack deletion`,
    });
    this.sweeperRole.addToPolicy(
      new PolicyStatement({ sid: 'ListQueues', actions: ['sqs:ListQueues'], resources: ['*'] }),
    );
    this.sweeperRole.addToPolicy(
      new PolicyStatement({
        sid: 'DeleteStaleJobQueues',
        actions: ['sqs:GetQueueAttributes', 'sqs:DeleteQueue'],
        resources: [queueArns],
      }),
    );
    // Whether the stack is being deleted, before the job-queues resource's Delete sweeps: not when
    // an update that added it rolls back (see functions/sweeper.ts).
    this.sweeperRole.addToPolicy(
      new PolicyStatement({
        sid: 'ReadOwnStackStatus',
        actions: ['cloudformation:DescribeStacks'],
        resources: [stack.stackId],
      }),
    );
    this.sweeperLogGroup.grantWrite(this.sweeperRole);
    Validations.of(this.sweeperRole).acknowledge(
      {
        id: iam5ResourceFinding(this, '*'),
        reason:
          'sqs:ListQueues supports no resource-level permissions (AWS requires Resource "*"); it is the only action on "*", ' +
          'and the sweeper narrows the listing with QueueNamePrefix. Reading and deleting queues is prefix-scoped.',
      },
      {
        id: iam5ResourceFinding(this, queueArns),
        reason:
          'The sweeper deletes leaked job queues, whose names are only known at run time; ' +
          "the wildcard is confined to this stack's queue-name prefix in its own account and region.",
      },
    );

    this.sweeperFunction = new LambdaFunctionResource(this, 'SweeperFunction', {
      functionName: `${settings.queuePrefix}-sweeper`,
      description: `tsmpi-cloud sweeper (stack ${stack.stackName}): deletes job queues older than the maximum job age, and all at stack deletion`,
      code: Code.fromAsset(functionAssetDir('sweeper')),
      handler: 'index.handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.minutes(5),
      role: this.sweeperRole,
      logGroup: this.sweeperLogGroup,
      // A failed sweep is simply redone by the next scheduled run.
      retryAttempts: 0,
      environment: {
        [ENV.queuePrefix]: settings.queuePrefix,
        [ENV.maxJobAgeSeconds]: String(settings.maxJobAge.toSeconds()),
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    this.sweeperSchedule = new Rule(this, 'SweeperSchedule', {
      description: `Runs the tsmpi-cloud sweeper for queues ${settings.queuePrefix}-*`,
      schedule: Schedule.rate(SWEEP_INTERVAL),
      targets: [new LambdaFunction(this.sweeperFunction)],
    });
    // The id carries the prefix: a custom resource's ServiceToken cannot be updated, and a new
    // prefix means a new sweeper function, so a new prefix is a new resource. The old one's
    // Delete, in the update's cleanup, then reaches the old function with the role as updated,
    // which grants the new prefix's queues: unless the new prefix starts the old one followed by
    // `-`, the old queues are denied, the answer is FAILED (CloudFormation notes it without
    // failing the update) and they are left to be deleted by hand (the README says so).
    this.jobQueues = new CustomResource(this, `JobQueues-${settings.queuePrefix}`, {
      serviceToken: this.sweeperFunction.functionArn,
      resourceType: JOB_QUEUES_RESOURCE.type,
      properties: { [JOB_QUEUES_RESOURCE.prefixProperty]: settings.queuePrefix },
      // The sweeper answers before its own timeout (5 minutes); this bounds CloudFormation's wait
      // if it cannot (3,600 s by default).
      serviceTimeout: Duration.minutes(6),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Deleted first on `cdk destroy`, while the sweeper can still run, write its log and delete queues.
    this.jobQueues.node.addDependency(this.sweeperRole, this.sweeperLogGroup);
    // ...and after the rank functions and their role: a rank still starting (an event Lambda held)
    // creates its claim queue, which must not come after the sweep.
    for (const f of this.rankFunctions) f.node.addDependency(this.jobQueues);
    this.rankRole.node.addDependency(this.jobQueues);

    // --- Outputs -----------------------------------------------------------------------------
    this.output(STACK_OUTPUTS.rankFunctionName, this.rankFunction.functionName, 'Name of the rank function');
    this.output(STACK_OUTPUTS.rankFunctionArn, this.rankFunction.functionArn, 'ARN of the rank function');
    if (copies > 1) {
      this.output(
        OPTIONAL_STACK_OUTPUTS.rankFunctionNames,
        this.rankFunctionNames.join(','),
        'Names of every copy of the rank function, comma-separated, RankFunctionName first',
      );
    }
    this.output(STACK_OUTPUTS.bucketName, this.bucket.bucketName, 'Bucket for job code and large payloads');
    this.output(
      STACK_OUTPUTS.queuePrefix,
      settings.queuePrefix,
      'Job queues are named <QueuePrefix>-<job>-<rank>',
    );
    this.output(STACK_OUTPUTS.region, stack.region, 'Region of the stack');
    this.output(STACK_OUTPUTS.stackName, stack.stackName, 'Name of the stack');
    // An app's own output under one of these keys otherwise fails the synth with CloudFormation
    // assembly's "section 'Outputs' already contains 'BucketName'", which names neither side.
    this.node.addValidation({ validate: () => this.outputClashes() });
  }

  /** Outputs of the stack, outside this construct, whose logical id is one of this construct's output keys. */
  private outputClashes(): string[] {
    const stack = Stack.of(this);
    const ours = new Set(
      this.node.children
        .filter((c) => c instanceof CfnOutput)
        .map((c) => stack.resolve(c.logicalId) as string),
    );
    return stack.node
      .findAll()
      .filter((c): c is CfnOutput => c instanceof CfnOutput && c.node.scope !== this && Stack.of(c) === stack)
      .map((c) => [c, stack.resolve(c.logicalId) as string] as const)
      .filter(([, key]) => ours.has(key))
      .map(
        ([c, key]) =>
          `Output ${key} of ${c.node.path} has the key of a TsmpiCloud output (${[...ours].join(', ')}), ` +
          'which the tsmpi-cloud CLI reads under fixed keys: give your output another id, or put TsmpiCloud in a stack of its own',
      );
  }

  /**
   * Grants what `tsmpi-cloud run --backend aws` and `doctor` need to a principal (the role or user
   * a launcher runs as): read the stack's outputs, check concurrency, invoke the rank function,
   * create, use and delete the stack's queues, upload job bundles, read, list and delete its
   * objects. Nothing else: an end-to-end test evaluates every call of a launcher against exactly
   * this policy and reports any action it grants that no call used. For a role, user or group the
   * statements form an inline policy of their own, on which the cdk-nag AwsSolutions-IAM5 findings
   * of its wildcards (each as narrow as AWS allows) are acknowledged, with reasons; the principal's
   * other statements are checked as before.
   *
   * @example
   * const ci = new Role(stack, 'Ci', { assumedBy: new AccountPrincipal(stack.account) });
   * tsmpi.grantLaunch(ci);
   */
  grantLaunch(grantee: IGrantable): Grant {
    const stack = Stack.of(this);
    // The grant's statements go in a policy of their own where the principal takes one (a role, a
    // user, a group), and its cdk-nag findings are acknowledged on that policy only: on the
    // principal, an acknowledgment of `Resource::*` would also hide the principal's own wildcards.
    const own = ownPolicy(this, grantee.grantPrincipal);
    const to = own?.grantee ?? grantee;
    const queueArns = stack.formatArn({
      service: 'sqs',
      resource: `${this.queuePrefix}-*`,
      arnFormat: ArnFormat.NO_RESOURCE_NAME,
    });
    const stackArns = stack.formatArn({
      service: 'cloudformation',
      resource: 'stack',
      resourceName: `${stack.stackName}/*`,
    });
    const jobObjects = this.bucket.arnForObjects(`${BUCKET_PREFIXES.jobs}*`);
    const payloadObjects = this.bucket.arnForObjects(`${BUCKET_PREFIXES.payloads}*`);
    const grants = [
      Grant.addToPrincipal({
        grantee: to,
        actions: ['cloudformation:DescribeStacks'],
        resourceArns: [stackArns],
      }),
      // GetAccountSettings and ListQueues support no resource-level permissions (Resource "*").
      Grant.addToPrincipal({
        grantee: to,
        actions: ['lambda:GetAccountSettings', 'sqs:ListQueues'],
        resourceArns: ['*'],
      }),
      Grant.addToPrincipal({
        grantee: to,
        actions: [
          'lambda:InvokeFunction',
          'lambda:GetFunctionConcurrency',
          'lambda:GetFunctionConfiguration',
        ],
        resourceArns: [this.rankFunction.functionArn],
      }),
      // The launcher invokes nodes (or tree heads) on every copy; it reads settings of copy 0 only.
      ...(this.rankFunctions.length > 1
        ? [
            Grant.addToPrincipal({
              grantee: to,
              actions: ['lambda:InvokeFunction'],
              resourceArns: this.rankFunctions.slice(1).map((f) => f.functionArn),
            }),
          ]
        : []),
      Grant.addToPrincipal({ grantee: to, actions: [...LAUNCHER_QUEUE_ACTIONS], resourceArns: [queueArns] }),
      Grant.addToPrincipal({
        grantee: to,
        actions: ['s3:ListBucket'],
        resourceArns: [this.bucket.bucketArn],
      }),
      // Job code: shipped (PutObject) unless already there (HeadObject needs s3:GetObject).
      Grant.addToPrincipal({
        grantee: to,
        actions: ['s3:GetObject', 's3:PutObject'],
        resourceArns: [jobObjects],
      }),
      // Payloads: the ranks' offloaded reports read, what a job left deleted.
      Grant.addToPrincipal({
        grantee: to,
        actions: ['s3:GetObject', 's3:DeleteObject'],
        resourceArns: [payloadObjects],
      }),
    ];
    // Each wildcard is as narrow as AWS allows: acknowledge exactly these findings (on the
    // grant's own policy where it has one), or an app checked by cdk-nag fails on a grant it
    // cannot narrow any further.
    const principal = own?.policy ?? grantee.grantPrincipal;
    if (Construct.isConstruct(principal)) {
      Validations.of(principal).acknowledge(
        {
          id: iam5ResourceFinding(principal, stackArns),
          reason:
            "Stack ids are assigned by CloudFormation; DescribeStacks is confined to this stack's name.",
        },
        {
          id: iam5ResourceFinding(principal, '*'),
          reason:
            'lambda:GetAccountSettings and sqs:ListQueues support no resource-level permissions (AWS requires Resource "*"); ' +
            'they are the only actions granted on "*".',
        },
        {
          id: iam5ResourceFinding(principal, queueArns),
          reason:
            "A launcher creates and deletes its job's queues, named at run time; the wildcard is confined to the stack's queue-name prefix.",
        },
        {
          id: iam5ResourceFinding(principal, jobObjects),
          reason:
            "Job code objects are keyed by content hash at run time; confined to the jobs/ prefix of the stack's bucket.",
        },
        {
          id: iam5ResourceFinding(principal, payloadObjects),
          reason:
            "Payload objects are keyed per message at run time; confined to the payloads/ prefix of the stack's bucket.",
        },
      );
    }
    return grants.reduce((all, grant) => all.combine(grant));
  }

  /** An output whose key is exactly `key` (no path hash) and that is not exported. */
  private output(key: string, value: string, description: string): void {
    new CfnOutput(this, key, { value, description }).overrideLogicalId(key);
  }
}

/**
 * A policy of its own for a grant of `owner` to `principal`, attached to it, and a grantee whose
 * statements go there; undefined where the principal takes no inline policy (then the grant's
 * statements go where the principal puts them).
 */
function ownPolicy(
  owner: Construct,
  principal: IPrincipal,
): { policy: Policy; grantee: IGrantable } | undefined {
  const attach = (principal as Partial<{ attachInlinePolicy(policy: Policy): void }>).attachInlinePolicy;
  if (!Construct.isConstruct(principal) || typeof attach !== 'function') return undefined;
  const policy = new Policy(principal, `TsmpiLaunch${Names.uniqueId(owner)}`);
  attach.call(principal, policy);
  // The principal as it is, but adding to this policy (Grant.addToPrincipal calls only this).
  const into: IPrincipal = Object.create(principal, {
    addToPrincipalPolicy: {
      value: (statement: PolicyStatement): AddToPrincipalPolicyResult => {
        policy.addStatements(statement);
        return { statementAdded: true, policyDependable: policy };
      },
    },
  });
  return { policy, grantee: { grantPrincipal: into } };
}

/** Whether `<a>-*` and `<b>-*` can name the same queue (or `a` and `b` the same functions). */
function prefixesOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}-`) || b.startsWith(`${a}-`);
}

/**
 * What the default queue prefix is derived from: the stack's name. A nested stack's name is a
 * deploy-time token whose text depends on how many tokens the app made before it, so it is
 * replaced by its top-level stack's name and its path below that: stable across synths, and
 * unique among the nested stacks of one top-level stack.
 */
function prefixSeed(stack: Stack): string {
  if (!Token.isUnresolved(stack.stackName)) return stack.stackName;
  let top = stack;
  while (top.nestedStackParent !== undefined) top = top.nestedStackParent;
  if (Token.isUnresolved(top.stackName)) {
    throw new TsmpiCloudPropsError(
      `The name of stack ${stack.node.path} is not known at synth time, so TsmpiCloud cannot derive a stable ` +
        'queue prefix from it: set `queuePrefix`',
    );
  }
  return `${top.stackName}/${stack.node.path.slice(top.node.path.length + 1)}`;
}

/**
 * `NodejsFunction` silently switches to Docker bundling when it cannot find esbuild next to
 * aws-cdk-lib. A custom `rankEntry` must bundle on machines without Docker, so fail instead.
 */
function assertLocalEsbuild(): void {
  const cdkLib = createRequire(import.meta.url).resolve('aws-cdk-lib');
  try {
    createRequire(cdkLib).resolve('esbuild/package.json');
  } catch {
    throw new Error(
      `esbuild is not installed where aws-cdk-lib (${cdkLib}) can find it. TsmpiCloud bundles a custom \`rankEntry\` ` +
        'with the local esbuild and never with Docker: install it in the app (`npm install --save-dev esbuild`), ' +
        'or leave `rankEntry` unset to deploy the pre-bundled rank function of the package.',
    );
  }
}
