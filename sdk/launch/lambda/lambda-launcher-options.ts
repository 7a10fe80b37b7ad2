import type { AwsClients } from './aws-clients.js';
import type { FanOutStrategy } from './fan-out-model.js';

/** Options of the aws launcher (`LambdaLauncher`); every one has a default. */
export interface LambdaLauncherOptions {
  region?: string;
  profile?: string;
  /** CloudFormation stack name. Default `TsmpiCloud`. */
  stack?: string;
  /** A `cdk deploy --outputs-file` file to read the deployment from instead of CloudFormation. */
  outputsFile?: string;
  /** SQS/S3 emulator endpoint (LocalStack); Lambda and CloudFormation keep theirs. */
  endpoint?: string;
  /** How to start the ranks. Default `auto`: the fan-out model decides. */
  fanOut?: 'auto' | FanOutStrategy;
  /** Invoke calls in flight from this machine. Default 64. */
  invokeConcurrency?: number;
  /**
   * A rank that has not reported `started` this long after the last invocation was made fails
   * the job. Default 90 s: the stack's maximum event age (60 s, after which Lambda drops a
   * throttled event) plus a cold start.
   */
  startTimeoutMs?: number;
  /** After a failure, how long the ranks get to report that they stopped. Default 5 s. */
  stopGraceMs?: number;
  /** How long past a rank's Lambda deadline the launcher waits for its report. Default 10 s. */
  deadlineGraceMs?: number;
  /** After the job's --timeout, how long the ranks get to report what they were blocked in. Default 3 s. */
  timeoutGraceMs?: number;
  /** Injected clients (tests); the launcher then does not destroy them. */
  clients?: AwsClients;
}
