import { describe, expect, it } from 'vitest';
import {
  parseRankEvent,
  RankEventError,
  rankQueueUrls,
  siblingQueueUrl,
} from '../../../sdk/runtime/lambda/rank-event.js';

const PREFIX = 'tsmpi-1a2b3c4d';
const CTL = `https://sqs.us-east-1.amazonaws.com/123456789012/${PREFIX}-j1-ctl`;
const valid = {
  v: 1,
  jobId: 'j1',
  rank: 2,
  size: 4,
  controlUrl: CTL,
  job: { builtin: 'pi' },
  launchedAt: 1_700_000_000_000,
};

describe('parseRankEvent', () => {
  it('accepts a node event (ranksPerNode): its first rank, node queues, a spawn over whole nodes', () => {
    const node = { ...valid, rank: 3, size: 7, ranksPerNode: 3, spawn: { from: 6, to: 7 } };
    expect(parseRankEvent(node, PREFIX)).toEqual(node);
    expect(rankQueueUrls(parseRankEvent(node, PREFIX), PREFIX)).toEqual(
      [0, 1, 2].map((n) => siblingQueueUrl(CTL, `${PREFIX}-j1-${n}`)),
    );
    expect(() => parseRankEvent({ ...node, rank: 4 }, PREFIX)).toThrow(
      /expected `rank` to be the first rank of a node \(a multiple of ranksPerNode 3\), got `4`/,
    );
    expect(() => parseRankEvent({ ...node, spawn: { from: 5, to: 7 } }, PREFIX)).toThrow(/`spawn.from`/);
    expect(() => parseRankEvent({ ...node, queueUrls: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] }, PREFIX)).toThrow(
      /an array of 3 queue URLs/,
    );
    expect(() => parseRankEvent({ ...node, ranksPerNode: 8 }, PREFIX)).toThrow(/`ranksPerNode`/);
  });

  it('accepts the launcher events, built-in or shipped, with args, deadline, spawn and optimize', () => {
    expect(parseRankEvent(valid, PREFIX)).toEqual(valid);
    const full = {
      ...valid,
      rank: 0,
      job: { s3Key: 'jobs/0123456789abcdef.mjs', hash: '0123456789abcdef' },
      args: { samples: 10 },
      deadlineMs: valid.launchedAt + 5000,
      spawn: { from: 2, to: 4 },
      optimize: 'cost',
      env: { JOB_COLOR: 'blue', _LEADING: '' },
    };
    expect(parseRankEvent(full, PREFIX)).toEqual(full);
    // --trace (a timeline, as before `timeline` existed) and --profile alone (no timeline).
    for (const record of [{ profile: true }, { profile: false }, { profile: true, timeline: false }]) {
      expect(parseRankEvent({ ...valid, record }, PREFIX).record).toEqual(record);
    }
  });

  it.each([
    ['not an object', 'x', /expected an object like/],
    ['another version', { ...valid, v: 2 }, /speaks version 1: deploy the stack again/],
    [
      'an unknown key (a typo, or a newer launcher)',
      { ...valid, rnak: 1 },
      /unknown key `rnak`.*deploy the stack again/,
    ],
    [
      'a variable that is not a string',
      { ...valid, env: { A: 1 } },
      /expected `env.A` to be an object of strings/,
    ],
    ['a name Lambda reserves', { ...valid, env: { AWS_REGION: 'x' } }, /`env` to be free of reserved names/],
    [
      "the stack's own settings",
      { ...valid, env: { TSMPI_BUCKET: 'x' } },
      /got `"TSMPI_BUCKET"`|TSMPI_BUCKET/,
    ],
    [
      'a rank outside the job',
      { ...valid, rank: 4 },
      /expected `rank` to be an integer in \[0, 3\], got `4` \(number\)/,
    ],
    ['a bad job id', { ...valid, jobId: 'a b' }, /expected `jobId` to be a string of \[A-Za-z0-9_-\]/],
    [
      "another stack's control queue",
      { ...valid, controlUrl: CTL.replace(PREFIX, 'tsmpi-other') },
      /the URL of queue tsmpi-1a2b3c4d-j1-ctl .*another stack/,
    ],
    [
      'a job key that is not jobs/<hash>.mjs',
      { ...valid, job: { s3Key: 'payloads/x.mjs', hash: '0123456789abcdef' } },
      /expected `job` to be \{ builtin: name \} or \{ s3Key/,
    ],
    [
      'a deadline before the launch',
      { ...valid, deadlineMs: 1 },
      /`deadlineMs` to be an epoch time .* after `launchedAt`/,
    ],
    [
      'a subtree that includes its own head',
      { ...valid, spawn: { from: 2, to: 3 } },
      /`spawn.from` to be an integer in \[3, 4\]/,
    ],
    [
      'a record request whose timeline is not a boolean',
      { ...valid, record: { profile: true, timeline: 'no' } },
      /expected `record` to be an object \{ profile: boolean, timeline\?: boolean \}/,
    ],
    ['args and argsCodec together', { ...valid, args: {}, argsCodec: 'AA==' }, /exclusive/],
  ])('rejects %s, naming the field and the value', (_name, event, message) => {
    expect(() => parseRankEvent(event, PREFIX)).toThrow(RankEventError);
    expect(() => parseRankEvent(event, PREFIX)).toThrow(message);
  });

  it('derives every rank queue URL from the control queue URL unless the event lists them', () => {
    const e = parseRankEvent(valid, PREFIX);
    expect(rankQueueUrls(e, PREFIX)).toEqual([0, 1, 2, 3].map((r) => CTL.replace('-ctl', `-${r}`)));
    expect(siblingQueueUrl(CTL, 'x')).toBe('https://sqs.us-east-1.amazonaws.com/123456789012/x');
    const listed = parseRankEvent({ ...valid, queueUrls: ['a', 'b', 'c', 'd'] }, PREFIX);
    expect(rankQueueUrls(listed, PREFIX)).toEqual(['a', 'b', 'c', 'd']);
  });
});
