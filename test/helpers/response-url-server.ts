/**
 * A stand-in for the pre-signed Amazon S3 URL a CloudFormation custom-resource request carries
 * (`ResponseURL`), where the provider PUTs its answer. What it reproduces:
 *
 * - The URL is pre-signed for a PUT without a content type, so S3 refuses a PUT that sends one
 *   (`Content-Type: application/json` gets 403 SignatureDoesNotMatch); AWS's own `cfn-response`
 *   module sends an empty `content-type` for this reason (CloudFormation User Guide,
 *   "cfn-response module").
 * - Only PUT uploads an object; anything else is refused.
 * - S3 may answer 503 Slow Down, and 403 to a URL past its expiry: `failNext(n, status)` answers
 *   the next n PUTs so.
 *
 * What CloudFormation then does with an answer (reads it, checks the ids) is not emulated; the
 * tests check the answers' fields themselves.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ResponseUrlServer {
  /** A response URL on this server (a path per request, as pre-signed URLs are). */
  url(path: string): string;
  /** The answers received, parsed, with the path each went to. */
  readonly answers: { path: string; body: Record<string, unknown> }[];
  /** Every request, accepted or not: method, path, content type, status answered. */
  readonly requests: { method: string; path: string; contentType: string | undefined; status: number }[];
  /** Answers the next `n` PUTs with `status`: 503 (Slow Down, as S3 may under load) or 403 (expired). */
  failNext(n: number, status: number): void;
  close(): Promise<void>;
}

export async function startResponseUrlServer(): Promise<ResponseUrlServer> {
  const answers: ResponseUrlServer['answers'] = [];
  const requests: ResponseUrlServer['requests'] = [];
  let failures: { n: number; status: number } = { n: 0, status: 503 };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const contentType = req.headers['content-type'];
      const answer = (status: number, text = '') => {
        requests.push({ method: req.method ?? '', path, contentType, status });
        res.writeHead(status, { 'content-type': 'application/xml' }).end(text);
      };
      if (req.method !== 'PUT') return answer(405, '<Error><Code>MethodNotAllowed</Code></Error>');
      if (contentType !== undefined && contentType !== '') {
        return answer(
          403,
          '<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error>',
        );
      }
      if (failures.n > 0) {
        failures = { ...failures, n: failures.n - 1 };
        return answer(
          failures.status,
          failures.status === 403
            ? '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>'
            : '<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
        );
      }
      answers.push({
        path,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
      });
      answer(200);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}/${path.replace(/^\//, '')}?X-Amz-Signature=stand-in`,
    answers,
    requests,
    failNext(n, status) {
      failures = { n, status };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
