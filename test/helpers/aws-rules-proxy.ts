/**
 * TEST-ONLY: a rules layer in front of an SQS/S3 emulator (fauxqs or moto_server), adding what
 * AWS does and neither emulator does. Point clients at `proxy.endpoint`; it forwards to the
 * emulator and changes answers per AWS's documented behaviour:
 *
 * - IAM: every request is attributed to its signer (the access key id in its SigV4
 *   `Authorization` header) and evaluated as (action, resource ARN) by `authorize`
 *   (see `iam-authorizer.ts`); a denied call gets 403 AccessDenied and is not forwarded.
 * - S3 GetObject/HeadObject of a missing key by a principal without `s3:ListBucket` on the
 *   bucket: 403 AccessDenied, not 404 NoSuchKey ("If you don't have the s3:ListBucket
 *   permission, Amazon S3 returns an HTTP status code 403 Access Denied error", GetObject and
 *   HeadObject API reference: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html,
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
 * - A queue is unusable for `youngQueueMs` (default 1 s) after CreateQueue created it: "After you
 *   create a queue, you must wait at least one second after the queue is created to be able to use
 *   the queue" (CreateQueue API reference,
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html);
 *   calls on it meanwhile get QueueDoesNotExist.
 * - CreateQueue of a name deleted less than 60 s ago: QueueDeletedRecently ("You must wait 60
 *   seconds after deleting a queue before you can create another one with the same name",
 *   CreateQueue API reference).
 * - S3 503 SlowDown: `slowDown(method, key)` picks requests to refuse (bursts), and
 *   `putsPerPrefixPerSecond` refuses PUTs over a per-prefix rate (S3: 3,500 PUT/COPY/POST/DELETE
 *   per second per partitioned prefix, then 503 SlowDown; "Best practices design patterns:
 *   optimizing Amazon S3 performance",
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html).
 * - CreateQueue over `createQueuesPerSecond`: RequestThrottled (SQS throttles control-plane
 *   calls; RequestThrottled is among CreateQueue's documented errors, "The request was denied due
 *   to request throttling", CreateQueue API reference above; the rate is not published, so tests
 *   choose one).
 * - At-least-once delivery: `duplicate(queue, body)` picks received messages that are delivered
 *   again `duplicateDelayMs` later (same MessageId and body, new receipt handle), even if deleted
 *   meanwhile ("Amazon SQS stores copies of your messages on multiple servers … on rare occasions,
 *   one of the servers … might be unavailable when you receive or delete a message … you might get
 *   that message copy again", standard queues, at-least-once delivery:
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/standard-queues-at-least-once-delivery.html).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { accessKeyOf } from './lambda-service.js';
import { ACCOUNT, REGION } from './synthesized-stack.js';

export interface AwsRules {
  authorize?: (accessKeyId: string | undefined, action: string, resource: string) => Promise<boolean>;
  /** Whether the signer may s3:ListBucket (decides 403 vs 404 for a missing key). Default: never. */
  canListBucket?: (accessKeyId: string | undefined, bucketArn: string) => Promise<boolean>;
  youngQueueMs: number;
  /**
   * Which calls on a young queue answer QueueDoesNotExist (default: every one). SQS hosts learn of
   * a new queue at different times, so one call that succeeded says nothing about the next;
   * exempting the launcher's probe (GetQueueAttributes) reproduces "the probe answered, the rank's
   * first call did not".
   */
  youngQueueRefuses?: (op: string) => boolean;
  deletedRecentlyMs: number;
  slowDown?: (method: string, key: string) => boolean;
  putsPerPrefixPerSecond?: number;
  createQueuesPerSecond?: number;
  duplicate?: (queueName: string, body: string) => boolean;
  duplicateDelayMs: number;
}

export interface AwsRulesProxy {
  endpoint: string;
  /** Mutable: change rules between tests. */
  rules: AwsRules;
  /** What each rule did, by name (`young-queue`, `deleted-recently`, `s3-403`, `slow-down`, `throttled`, `duplicate`). */
  readonly fired: Map<string, number>;
  /**
   * Makes every copy still waiting for its `duplicateDelayMs` due now (a test's clock: a copy
   * shown to come late, then delivered, without waiting out the delay). Returns how many.
   */
  releaseDuplicates(): number;
  close(): Promise<void>;
}

interface Duplicate {
  due: number;
  message: Record<string, unknown>;
}

export async function startAwsRulesProxy(
  upstream: string,
  rules: Partial<AwsRules> = {},
): Promise<AwsRulesProxy> {
  const target = new URL(upstream);
  const proxy: AwsRulesProxy = {
    endpoint: '',
    rules: { youngQueueMs: 1000, deletedRecentlyMs: 60_000, duplicateDelayMs: 2000, ...rules },
    fired: new Map(),
    releaseDuplicates: () => {
      let n = 0;
      for (const list of duplicates.values()) {
        for (const d of list) d.due = 0;
        n += list.length;
      }
      return n;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const fire = (rule: string) => proxy.fired.set(rule, (proxy.fired.get(rule) ?? 0) + 1);
  const createdAt = new Map<string, number>();
  const deletedAt = new Map<string, number>();
  const duplicates = new Map<string, Duplicate[]>();
  const putWindow = new Map<string, { second: number; count: number }>();
  let createWindow = { second: 0, count: 0 };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const amzTarget = req.headers['x-amz-target'];
    if (typeof amzTarget === 'string' && amzTarget.startsWith('AmazonSQS.')) {
      return sqs(req, res, body, amzTarget.slice('AmazonSQS.'.length));
    }
    return s3(req, res, body);
  }

  // --- SQS (JSON protocol) ----------------------------------------------------------------------
  async function sqs(req: IncomingMessage, res: ServerResponse, body: Buffer, op: string): Promise<void> {
    const input = JSON.parse(body.toString('utf8') || '{}') as Record<string, any>;
    const queue =
      typeof input.QueueUrl === 'string'
        ? input.QueueUrl.slice(input.QueueUrl.lastIndexOf('/') + 1)
        : typeof input.QueueName === 'string'
          ? input.QueueName
          : undefined;
    const action = `sqs:${op.replace(/Batch$/, '')}`;
    const resource =
      op === 'ListQueues' || queue === undefined ? '*' : `arn:aws:sqs:${REGION}:${ACCOUNT}:${queue}`;
    const key = accessKeyOf(req);
    // "To tag a queue on creation, you must have the sqs:CreateQueue and sqs:TagQueue permissions"
    // (CreateQueue API reference).
    const actions = op === 'CreateQueue' && input.tags !== undefined ? [action, 'sqs:TagQueue'] : [action];
    for (const a of actions) {
      if (proxy.rules.authorize !== undefined && !(await proxy.rules.authorize(key, a, resource))) {
        return sqsError(
          res,
          403,
          'AccessDenied',
          'AccessDenied',
          `User is not authorized to perform: ${a} on resource: ${resource}`,
        );
      }
    }
    const now = Date.now();
    if (op === 'CreateQueue' && queue !== undefined) {
      const deleted = deletedAt.get(queue);
      if (deleted !== undefined && now - deleted < proxy.rules.deletedRecentlyMs) {
        fire('deleted-recently');
        return sqsError(
          res,
          400,
          'QueueDeletedRecently',
          'AWS.SimpleQueueService.QueueDeletedRecently',
          'You must wait 60 seconds after deleting a queue before you can create another with the same name.',
        );
      }
      if (proxy.rules.createQueuesPerSecond !== undefined) {
        const second = Math.floor(now / 1000);
        if (createWindow.second !== second) createWindow = { second, count: 0 };
        if (++createWindow.count > proxy.rules.createQueuesPerSecond) {
          fire('throttled');
          return sqsError(res, 400, 'RequestThrottled', 'RequestThrottled', 'Request is throttled.');
        }
      }
    } else if (queue !== undefined && op !== 'ListQueues') {
      const created = createdAt.get(queue);
      if (
        created !== undefined &&
        now - created < proxy.rules.youngQueueMs &&
        (proxy.rules.youngQueueRefuses?.(op) ?? true)
      ) {
        fire('young-queue');
        return sqsError(
          res,
          400,
          'QueueDoesNotExist',
          'AWS.SimpleQueueService.NonExistentQueue',
          'The specified queue does not exist.',
        );
      }
    }
    // Copies of messages delivered earlier: answered here, never forwarded.
    if (op === 'DeleteMessage' && String(input.ReceiptHandle).startsWith('dup-')) return sqsJson(res, {});
    if (op === 'ChangeMessageVisibility' && String(input.ReceiptHandle).startsWith('dup-'))
      return sqsJson(res, {});
    if (op === 'ReceiveMessage' && queue !== undefined) {
      const due = (duplicates.get(queue) ?? []).filter((d) => d.due <= now);
      if (due.length > 0) {
        const max = Number(input.MaxNumberOfMessages ?? 1);
        const take = due.slice(0, max);
        duplicates.set(
          queue,
          (duplicates.get(queue) ?? []).filter((d) => !take.includes(d)),
        );
        fire('duplicate');
        return sqsJson(res, {
          Messages: take.map((d) => ({ ...d.message, ReceiptHandle: `dup-${randomUUID()}` })),
        });
      }
    }
    let forwardBody = body;
    let dupEntries: { Id: string }[] = [];
    if (op === 'DeleteMessageBatch' || op === 'ChangeMessageVisibilityBatch') {
      const entries = (input.Entries ?? []) as { Id: string; ReceiptHandle: string }[];
      dupEntries = entries.filter((e) => e.ReceiptHandle.startsWith('dup-'));
      const real = entries.filter((e) => !e.ReceiptHandle.startsWith('dup-'));
      if (real.length === 0)
        return sqsJson(res, { Successful: dupEntries.map((e) => ({ Id: e.Id })), Failed: [] });
      forwardBody = Buffer.from(JSON.stringify({ ...input, Entries: real }));
    }
    const answer = await forward(req, forwardBody);
    if (answer.status === 200 && queue !== undefined) {
      if (op === 'CreateQueue' && !createdAt.has(queue)) createdAt.set(queue, now);
      if (op === 'DeleteQueue') {
        createdAt.delete(queue);
        deletedAt.set(queue, now);
        duplicates.delete(queue);
      }
    }
    if (answer.status === 200 && dupEntries.length > 0) {
      const parsed = JSON.parse(answer.body.toString('utf8')) as { Successful?: unknown[] };
      parsed.Successful = [...(parsed.Successful ?? []), ...dupEntries.map((e) => ({ Id: e.Id }))];
      return sqsJson(res, parsed);
    }
    if (
      answer.status === 200 &&
      op === 'ReceiveMessage' &&
      queue !== undefined &&
      proxy.rules.duplicate !== undefined
    ) {
      const parsed = JSON.parse(answer.body.toString('utf8')) as { Messages?: Record<string, unknown>[] };
      for (const m of parsed.Messages ?? []) {
        if (proxy.rules.duplicate(queue, String(m.Body ?? ''))) {
          const list = duplicates.get(queue) ?? [];
          list.push({ due: now + proxy.rules.duplicateDelayMs, message: m });
          duplicates.set(queue, list);
        }
      }
    }
    res.writeHead(answer.status, answer.headers).end(answer.body);
  }

  // --- S3 (REST, path style) --------------------------------------------------------------------
  async function s3(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const objectKey = decodeURIComponent(rest.join('/'));
    const method = req.method ?? 'GET';
    const q = url.searchParams;
    const key = accessKeyOf(req);
    const bucketArn = `arn:aws:s3:::${bucket}`;
    const checks: [string, string][] = [];
    if (objectKey !== '') {
      const arn = `${bucketArn}/${objectKey}`;
      if (method === 'GET' || method === 'HEAD') checks.push(['s3:GetObject', arn]);
      else if (method === 'DELETE')
        checks.push([q.has('uploadId') ? 's3:AbortMultipartUpload' : 's3:DeleteObject', arn]);
      else checks.push(['s3:PutObject', arn]);
    } else if (method === 'POST' && q.has('delete')) {
      for (const m of body.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)) {
        checks.push(['s3:DeleteObject', `${bucketArn}/${unescapeXml(m[1] ?? '')}`]);
      }
    } else if (method === 'GET' || method === 'HEAD') {
      checks.push([q.has('location') ? 's3:GetBucketLocation' : 's3:ListBucket', bucketArn]);
    } else if (method === 'PUT') checks.push(['s3:CreateBucket', bucketArn]);
    else if (method === 'DELETE') checks.push(['s3:DeleteBucket', bucketArn]);
    if (proxy.rules.authorize !== undefined) {
      for (const [action, resource] of checks) {
        if (!(await proxy.rules.authorize(key, action, resource)))
          return s3Error(res, method, 403, 'AccessDenied', 'Access Denied');
      }
    }
    if (objectKey !== '' && proxy.rules.slowDown?.(method, objectKey) === true) {
      fire('slow-down');
      return s3Error(res, method, 503, 'SlowDown', 'Please reduce your request rate.');
    }
    if (objectKey !== '' && method === 'PUT' && proxy.rules.putsPerPrefixPerSecond !== undefined) {
      const prefix = objectKey.slice(0, objectKey.lastIndexOf('/') + 1);
      const second = Math.floor(Date.now() / 1000);
      const w = putWindow.get(prefix);
      const window = w === undefined || w.second !== second ? { second, count: 0 } : w;
      putWindow.set(prefix, window);
      if (++window.count > proxy.rules.putsPerPrefixPerSecond) {
        fire('slow-down');
        return s3Error(res, method, 503, 'SlowDown', 'Please reduce your request rate.');
      }
    }
    const answer = await forward(req, body);
    if (answer.status === 404 && objectKey !== '' && (method === 'GET' || method === 'HEAD')) {
      const canList = (await proxy.rules.canListBucket?.(key, bucketArn)) ?? false;
      if (!canList) {
        fire('s3-403');
        return s3Error(res, method, 403, 'AccessDenied', 'Access Denied');
      }
    }
    res.writeHead(answer.status, answer.headers).end(answer.body);
  }

  function forward(req: IncomingMessage, body: Buffer) {
    return new Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }>(
      (resolve, reject) => {
        const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
        delete headers['transfer-encoding'];
        const out = request(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
          (r) => {
            const chunks: Buffer[] = [];
            r.on('data', (c: Buffer) => chunks.push(c));
            r.on('end', () => {
              const h: Record<string, string | string[]> = {};
              for (const [k, v] of Object.entries(r.headers))
                if (v !== undefined && k !== 'transfer-encoding') h[k] = v;
              const b = Buffer.concat(chunks);
              if (req.method !== 'HEAD') h['content-length'] = String(b.length);
              resolve({ status: r.statusCode ?? 500, headers: h, body: b });
            });
            r.on('error', reject);
          },
        );
        out.on('error', reject);
        out.end(body);
      },
    );
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

function sqsJson(res: ServerResponse, value: unknown): void {
  const text = JSON.stringify(value);
  res
    .writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() })
    .end(text);
}

/** An SQS JSON-protocol error; `x-amzn-query-error` carries the query-protocol code the SDK exposes as `Code`. */
function sqsError(
  res: ServerResponse,
  status: number,
  type: string,
  queryCode: string,
  message: string,
): void {
  res
    .writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': randomUUID(),
      'x-amzn-query-error': `${queryCode};Sender`,
    })
    .end(JSON.stringify({ __type: `com.amazonaws.sqs#${type}`, message }));
}

function s3Error(res: ServerResponse, method: string, status: number, code: string, message: string): void {
  const requestId = randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
  res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': requestId });
  if (method === 'HEAD') {
    res.end();
    return;
  }
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId></Error>`,
  );
}

function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
