import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { functionEntry, packageRoot } from '../../infra/package-root.js';
import { TsmpiCloud } from '../../infra/tsmpi-cloud-construct.js';
import {
  DEFAULT_MAX_JOB_AGE,
  DEFAULT_MEMORY_SIZE,
  resolveTsmpiCloudProps,
  type TsmpiCloudProps,
  TsmpiCloudPropsError,
} from '../../infra/tsmpi-cloud-props.js';
import { testApp } from '../helpers/test-app.js';
import { FIXTURE_RANK_ENTRY, REPO_ROOT } from './infra-helpers.js';

function resolveWith(props: Record<string, unknown>) {
  return resolveTsmpiCloudProps({ rankEntry: FIXTURE_RANK_ENTRY, ...props } as TsmpiCloudProps, 'Stack');
}

describe('TsmpiCloud props', () => {
  it('default to 1769 MB, 15 min, 2 h maximum job age, one week of logs, DESTROY, a tsmpi-<hash> prefix', () => {
    const settings = resolveWith({});
    expect(settings).toMatchObject({
      memorySize: DEFAULT_MEMORY_SIZE,
      logRetention: 7,
      removalPolicy: RemovalPolicy.DESTROY,
      reservedConcurrentExecutions: undefined,
      rankFunctionCopies: 1,
      accountConcurrency: 1000,
      accessLogsBucket: undefined,
    });
    expect(settings.queuePrefix).toMatch(/^tsmpi-[0-9a-f]{8}$/);
    expect(settings.timeout.toSeconds()).toBe(900);
    expect(settings.maxJobAge.toSeconds()).toBe(DEFAULT_MAX_JOB_AGE.toSeconds());
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'an unknown key (a typo)',
      { memmorySize: 2048 },
      /Unknown TsmpiCloud prop `memmorySize`; known props: queuePrefix, /,
    ],
    [
      'memory below 128 MB',
      { memorySize: 64 },
      /`memorySize` to be an integer in \[128, 10240\] MB, got `64` \(number\)/,
    ],
    ['memory above 10240 MB', { memorySize: 20_000 }, /`memorySize`.*got `20000`/],
    ['fractional memory', { memorySize: 1769.5 }, /`memorySize`.*got `1769.5`/],
    [
      'a timeout over 15 minutes',
      { timeout: Duration.minutes(16) },
      /`timeout` to be a whole number of seconds in \[1, 900\].*16 minutes/,
    ],
    ['a sub-second timeout', { timeout: Duration.millis(500) }, /`timeout`.*500 millis/],
    [
      'a timeout of NaN seconds',
      { timeout: Duration.seconds(Number.NaN) },
      /^Expected `timeout` to be a finite Duration, got NaN seconds$/,
    ],
    [
      'a timeout that is not a Duration',
      { timeout: 900 },
      /`timeout` to be a Duration, got `900` \(number\)/,
    ],
    [
      'a maximum job age not longer than the timeout',
      { timeout: Duration.minutes(15), maxJobAge: Duration.minutes(15) },
      /`maxJobAge` to be a whole number of seconds, at least `timeout` \(15 minutes\) plus 5 minutes \(1200 s\), got 15 minutes: .*the sweeper would delete the queues of running jobs/,
    ],
    [
      // A rank may start 90 s after its queues are made, then run the whole timeout.
      'a maximum job age longer than the timeout by less than the start margin',
      { timeout: Duration.minutes(15), maxJobAge: Duration.seconds(1199) },
      /`maxJobAge` .* plus 5 minutes \(1200 s\), got 19 minutes 59 seconds/,
    ],
    [
      'an unknown log retention',
      { logRetention: 2 as RetentionDays },
      /`logRetention` to be a RetentionDays value, got `2`/,
    ],
    [
      'an uppercase queue prefix',
      { queuePrefix: 'Tsmpi' },
      /`queuePrefix` to be 2 to 24 characters of \[a-z0-9-\].*got `"Tsmpi"` \(string\)/,
    ],
    ['a queue prefix ending with -', { queuePrefix: 'tsmpi-' }, /`queuePrefix`.*got `"tsmpi-"`/],
    ['a queue prefix starting with a digit', { queuePrefix: '1tsmpi' }, /`queuePrefix`.*got `"1tsmpi"`/],
    ['a queue prefix over 24 characters', { queuePrefix: 'a'.repeat(25) }, /`queuePrefix`/],
    ['a queue prefix with a wildcard', { queuePrefix: 'tsmpi*' }, /`queuePrefix`/],
    [
      'the queue prefix `tsmpi`, whose `tsmpi-*` covers every default prefix and the --backend sqs queues',
      { queuePrefix: 'tsmpi' },
      /`queuePrefix` not to be `"tsmpi"`: every default prefix \(tsmpi-<hash>\) and the queues of `--backend sqs` jobs start with `tsmpi-`/,
    ],
    [
      'zero reserved concurrency',
      { reservedConcurrentExecutions: 0 },
      /`reservedConcurrentExecutions` to be an integer >= 1.*0 would stop every rank\), got `0`/,
    ],
    [
      'a reservation leaving less than 100 of the default 1,000 unreserved (cdk deploy would fail)',
      { reservedConcurrentExecutions: 950 },
      /^`reservedConcurrentExecutions` 950 would leave 50 of the account's 1000 concurrent executions \(`accountConcurrency`\) unreserved, and Lambda keeps at least 100 unreserved: `cdk deploy` would fail\. Reserve at most 900/,
    ],
    [
      'any reservation in an account whose limit is at most 100',
      { reservedConcurrentExecutions: 5, accountConcurrency: 50 },
      /leave 45 of the account's 50 .*Request a higher quota/,
    ],
    [
      'zero copies of the rank function',
      { rankFunctionCopies: 0 },
      /`rankFunctionCopies` to be an integer in \[1, 10\].*got `0`/,
    ],
    ['eleven copies of the rank function', { rankFunctionCopies: 11 }, /`rankFunctionCopies`.*got `11`/],
    ['a fractional number of copies', { rankFunctionCopies: 1.5 }, /`rankFunctionCopies`.*got `1\.5`/],
    [
      'a reservation smaller than the copies it is split over',
      { rankFunctionCopies: 4, reservedConcurrentExecutions: 3 },
      /^`reservedConcurrentExecutions` 3 is split over 4 copies.*reserve at least 4/,
    ],
    [
      'a non-integer account concurrency',
      { accountConcurrency: 1.5 },
      /`accountConcurrency` to be an integer >= 1/,
    ],
    [
      'SNAPSHOT removal',
      { removalPolicy: RemovalPolicy.SNAPSHOT },
      /`removalPolicy` to be RemovalPolicy.DESTROY or RemovalPolicy.RETAIN, got `"snapshot"`/,
    ],
    [
      'a rank entry that does not exist',
      { rankEntry: '/nowhere/rank.ts' },
      /`rankEntry` does not exist or is not a file: `\/nowhere\/rank.ts`/,
    ],
    [
      'a rank entry that is not a module',
      { rankEntry: `${REPO_ROOT}cdk.json` },
      /`rankEntry` to be a .ts, .mts, .js or .mjs file/,
    ],
    ['an empty rank entry', { rankEntry: '' }, /`rankEntry` to be a file path, got `""` \(string\)/],
    [
      'an access-logs bucket given by name (S3 would log into the job bucket itself)',
      { accessLogsBucket: 'my-logs' },
      /`accessLogsBucket` to be an S3 bucket construct \(e\.g\. `Bucket\.fromBucketName\(.*got `"my-logs"` \(string\)/,
    ],
    [
      'an access-logs bucket that is a plain object, not a construct',
      { accessLogsBucket: { bucketName: 'my-logs', bucketArn: 'arn:aws:s3:::my-logs' } },
      /`accessLogsBucket` to be an S3 bucket construct/,
    ],
  ])('reject %s with a message naming the prop, the rule and the value', (_what, props, message) => {
    expect(() => resolveWith(props)).toThrow(TsmpiCloudPropsError);
    expect(() => resolveWith(props)).toThrow(message);
  });

  it('accept the limits: 128 and 10240 MB, 1 s and 15 min, a job age one second over the timeout', () => {
    expect(resolveWith({ memorySize: 128 }).memorySize).toBe(128);
    expect(resolveWith({ memorySize: 10240 }).memorySize).toBe(10240);
    expect(resolveWith({ timeout: Duration.seconds(1) }).timeout.toSeconds()).toBe(1);
    expect(resolveWith({ maxJobAge: Duration.seconds(1200) }).maxJobAge.toSeconds()).toBe(1200);
    expect(
      resolveWith({ timeout: Duration.seconds(1), maxJobAge: Duration.seconds(301) }).maxJobAge.toSeconds(),
    ).toBe(301);
    expect(resolveWith({ queuePrefix: 'ab' }).queuePrefix).toBe('ab');
  });

  it('accept an imported access-logs bucket', () => {
    const logs = Bucket.fromBucketName(new Stack(testApp(), 'Logs'), 'Logs', 'my-logs');
    expect(resolveWith({ accessLogsBucket: logs }).accessLogsBucket).toBe(logs);
  });

  it('are checked when the construct is created, before anything is bundled', () => {
    const stack = new Stack(testApp(), 'Props');
    expect(() => new TsmpiCloud(stack, 'Tsmpi', { rankEntry: FIXTURE_RANK_ENTRY, memorySize: 1 })).toThrow(
      TsmpiCloudPropsError,
    );
  });
});

describe('default handler paths', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'tsmpi-infra-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  function fakePackage(dir: string, files: string[]): string {
    const root = join(scratch, dir);
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'tsmpi-cloud' }));
    for (const file of files) {
      mkdirSync(join(root, file, '..'), { recursive: true });
      writeFileSync(join(root, file), '');
    }
    return root;
  }

  it("find this repository's root from the infra module's own location, not the current directory", () => {
    expect(`${packageRoot()}/`).toBe(REPO_ROOT);
  });

  it('find the package root from its compiled copy inside another app, and from a bundle under node_modules/.cache', () => {
    const app = join(scratch, 'app');
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'someone-elses-app' }));
    const installed = fakePackage('app/node_modules/tsmpi-cloud', ['dist/infra/package-root.js']);
    expect(packageRoot(pathToFileURL(join(installed, 'dist/infra/package-root.js')).href)).toBe(installed);
    const bundle = join(installed, 'node_modules/.cache/tsmpi-cloud/cdk-app-1.mjs');
    expect(packageRoot(pathToFileURL(bundle).href)).toBe(installed);
  });

  it('say where they looked when no tsmpi-cloud package.json is above', () => {
    expect(() => packageRoot(pathToFileURL(join(scratch, 'x.js')).href)).toThrow(
      /Cannot find the tsmpi-cloud package root/,
    );
  });

  it('prefer functions/<name>.ts, and fall back to dist/functions/<name>.js in the published package', () => {
    const source = fakePackage('source', ['functions/rank.ts', 'dist/functions/rank.js']);
    expect(functionEntry('rank', source)).toBe(join(source, 'functions/rank.ts'));
    const published = fakePackage('published', ['dist/functions/rank.js', 'dist/functions/sweeper.js']);
    expect(functionEntry('rank', published)).toBe(join(published, 'dist/functions/rank.js'));
    expect(functionEntry('sweeper', published)).toBe(join(published, 'dist/functions/sweeper.js'));
  });

  it('explain how to pass the rank handler when the package has none', () => {
    const empty = fakePackage('empty', []);
    expect(() => functionEntry('rank', empty)).toThrow(
      /looked for .*functions\/rank\.ts and .*dist\/functions\/rank\.js.*Pass `rankEntry`/,
    );
  });

  it("use this repository's sweeper", () => {
    expect(functionEntry('sweeper')).toBe(join(REPO_ROOT, 'functions/sweeper.ts'));
  });
});
