import {
  DeleteMessageBatchCommand,
  type DeleteMessageBatchCommandOutput,
  type Message,
  ReceiveMessageCommand,
  type ReceiveMessageCommandOutput,
  RequestThrottled,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SQSClient,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import { seededRandom } from '../../sdk/base/seeded-random.js';

export interface SqsFaultOptions {
  /**
   * Probability that a received message is delivered a second time: half of the copies come in
   * the same response, the other half are redelivered by a later receive once the original was
   * deleted (as SQS does when a delete is lost or a visibility timeout runs out).
   */
  duplicate?: number;
  /** Shuffle the messages of every receive. Default true. */
  shuffle?: boolean;
  /** Each receive response is held back by a random delay up to this, in ms. Default 5. */
  maxDelayMs?: number;
  /** Probability that a call fails with `RequestThrottled` before reaching the server. */
  throttle?: number;
  /** Probability that a call fails with a 500 `InternalError` before reaching the server. */
  serverError?: number;
  /**
   * Probability that a batch call reaches the server but its response is replaced by a 500: the
   * caller retries what the server already accepted, as after a lost response on a real network.
   */
  lostResponse?: number;
  /** Probability that some entries of a SendMessageBatch / DeleteMessageBatch fail (not sent). */
  partialBatch?: number;
  /** Actions the call faults apply to. Default: SendMessageBatch, ReceiveMessage, DeleteMessageBatch. */
  actions?: string[];
  /** Seed of the deterministic PRNG, so a failing run can be replayed. Default 1. */
  seed?: number;
}

export interface InjectedFaults {
  duplicates: number;
  shuffled: number;
  delayed: number;
  throttles: number;
  serverErrors: number;
  lostResponses: number;
  partialFailures: number;
}

export interface FaultySqs {
  /** Use it wherever an SQSClient goes. */
  client: SQSClient;
  /** What was actually injected so far. */
  injected: InjectedFaults;
}

function throttled(): Error {
  return new RequestThrottled({ message: 'Rate exceeded (injected)', $metadata: { httpStatusCode: 400 } });
}

function internalError(): Error {
  return new SQSServiceException({
    name: 'InternalError',
    $fault: 'server',
    $metadata: { httpStatusCode: 500 },
    message: 'We encountered an internal error. Please try again. (injected)',
  });
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      return;
    }
    const onAbort = () => {
      clearTimeout(t);
      reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Wraps an SQSClient so that it misbehaves the way SQS may: received messages are duplicated
 * (a copy in the same response or redelivered by a later receive), shuffled and delayed; calls
 * are throttled, fail with 500s, lose their response after the server acted, or fail some batch
 * entries. It never drops or alters a message: everything it injects is something a correct
 * transport must survive without losing a frame.
 *
 * @example
 * const { client, injected } = faultySqs(fx.sqs, { duplicate: 0.2, throttle: 0.05 });
 * new SqsTransport({ ..., sqs: client });
 */
export function faultySqs(inner: SQSClient, options: SqsFaultOptions = {}): FaultySqs {
  const opts = {
    duplicate: 0.2,
    shuffle: true,
    maxDelayMs: 5,
    throttle: 0,
    serverError: 0,
    lostResponse: 0,
    partialBatch: 0,
    actions: ['SendMessageBatch', 'ReceiveMessage', 'DeleteMessageBatch'],
    seed: 1,
    ...options,
  };
  const random = seededRandom(opts.seed);
  const injected: InjectedFaults = {
    duplicates: 0,
    shuffled: 0,
    delayed: 0,
    throttles: 0,
    serverErrors: 0,
    lostResponses: 0,
    partialFailures: 0,
  };
  /** Copies waiting for their original's delete, by the original's receipt handle. */
  const held = new Map<string, { url: string; copy: Message }>();
  /** Copies whose original was deleted: redelivered by a later receive, per queue URL. */
  const stash = new Map<string, Message[]>();
  const faulted = new Set(opts.actions);

  const realSend = inner.send.bind(inner) as (command: unknown, options?: unknown) => Promise<unknown>;

  async function receive(
    command: ReceiveMessageCommand,
    sendOptions: { abortSignal?: AbortSignal } | undefined,
  ): Promise<ReceiveMessageCommandOutput> {
    const url = command.input.QueueUrl ?? '';
    const max = command.input.MaxNumberOfMessages ?? 1;
    const waiting = stash.get(url) ?? [];
    let res: ReceiveMessageCommandOutput;
    let messages: Message[];
    if (waiting.length > 0 && random() < 0.5) {
      // A redelivery of messages already deleted once, as after a lost delete.
      res = { $metadata: {} };
      messages = waiting.splice(0, max);
      injected.duplicates += messages.length;
    } else {
      res = (await realSend(command, sendOptions)) as ReceiveMessageCommandOutput;
      messages = [...(res.Messages ?? [])];
      for (const m of res.Messages ?? []) {
        if (random() >= opts.duplicate) continue;
        const copy: Message = { ...m, MessageAttributes: { ...m.MessageAttributes } };
        if (messages.length < max && random() < 0.5) {
          messages.push(copy);
          injected.duplicates++;
        } else if (m.ReceiptHandle !== undefined) {
          held.set(m.ReceiptHandle, { url, copy });
        }
      }
    }
    if (opts.shuffle && messages.length > 1) {
      for (let i = messages.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [messages[i], messages[j]] = [messages[j]!, messages[i]!];
      }
      injected.shuffled++;
    }
    if (opts.maxDelayMs > 0 && messages.length > 0) {
      injected.delayed++;
      await delay(random() * opts.maxDelayMs, sendOptions?.abortSignal);
    }
    return { ...res, Messages: messages.length > 0 ? messages : undefined };
  }

  /** Deleted originals free their held copies for redelivery. */
  function release(command: DeleteMessageBatchCommand, res: DeleteMessageBatchCommandOutput): void {
    const ok = new Set((res.Successful ?? []).map((e) => e.Id));
    for (const e of command.input.Entries ?? []) {
      const h = e.ReceiptHandle === undefined ? undefined : held.get(e.ReceiptHandle);
      if (h === undefined || !ok.has(e.Id)) continue;
      held.delete(e.ReceiptHandle!);
      const list = stash.get(h.url) ?? [];
      list.push(h.copy);
      stash.set(h.url, list);
    }
  }

  async function partial(
    command: SendMessageBatchCommand | DeleteMessageBatchCommand,
    sendOptions: unknown,
  ): Promise<SendMessageBatchCommandOutput | DeleteMessageBatchCommandOutput> {
    const entries = (command.input.Entries ?? []) as { Id: string | undefined }[];
    const failIds = new Set(entries.filter(() => random() < 0.5).map((e) => e.Id));
    if (failIds.size === 0 && entries[0] !== undefined) failIds.add(entries[0].Id);
    injected.partialFailures += failIds.size;
    const keep = entries.filter((e) => !failIds.has(e.Id));
    const Failed = [...failIds].map((Id) => ({
      Id,
      SenderFault: false,
      Code: 'InternalError',
      Message: 'injected partial batch failure',
    }));
    if (keep.length === 0) return { $metadata: {}, Successful: [], Failed } as never;
    const sub =
      command instanceof SendMessageBatchCommand
        ? new SendMessageBatchCommand({ ...command.input, Entries: keep as never })
        : new DeleteMessageBatchCommand({ ...command.input, Entries: keep as never });
    const res = (await realSend(sub, sendOptions)) as SendMessageBatchCommandOutput;
    if (sub instanceof DeleteMessageBatchCommand) release(sub, res as DeleteMessageBatchCommandOutput);
    return { ...res, Failed: [...(res.Failed ?? []), ...Failed] } as never;
  }

  async function send(command: unknown, sendOptions?: { abortSignal?: AbortSignal }): Promise<unknown> {
    const action = (command as object).constructor.name.replace(/Command$/, '');
    if (faulted.has(action)) {
      if (random() < opts.throttle) {
        injected.throttles++;
        throw throttled();
      }
      if (random() < opts.serverError) {
        injected.serverErrors++;
        throw internalError();
      }
      const batch =
        command instanceof SendMessageBatchCommand || command instanceof DeleteMessageBatchCommand;
      if (batch && random() < opts.partialBatch) return partial(command, sendOptions);
      if (batch && random() < opts.lostResponse) {
        const res = await realSend(command, sendOptions);
        if (command instanceof DeleteMessageBatchCommand)
          release(command, res as DeleteMessageBatchCommandOutput);
        injected.lostResponses++;
        throw internalError();
      }
    }
    if (command instanceof ReceiveMessageCommand) return receive(command, sendOptions);
    const res = await realSend(command, sendOptions);
    if (command instanceof DeleteMessageBatchCommand)
      release(command, res as DeleteMessageBatchCommandOutput);
    return res;
  }

  const client = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'send') return send;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { client, injected };
}
