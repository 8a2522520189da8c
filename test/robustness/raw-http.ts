import { request, type IncomingHttpHeaders } from 'node:http';

export interface RawRequest {
  method?: string;
  /** Path and query. */
  path: string;
  /** Header lines sent exactly as given, repeats included (`Host` is added when absent). */
  headers?: readonly (readonly [string, string])[];
  body?: string;
}

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A loose bound on one answer: a request still unanswered then is a hang, whatever the machine's
 * speed (never a performance threshold).
 */
export const HANG_BOUND_MS = 10_000;

/**
 * One request over a real socket with its header lines as written: Fastify's `inject` cannot send
 * a header twice the way a client does, nor headers over the server's size limit.
 */
export function sendRaw(base: string, req: RawRequest): Promise<RawAnswer> {
  const lines: string[] = [];
  const headers = req.headers ?? [];
  if (!headers.some(([name]) => name.toLowerCase() === 'host'))
    lines.push('Host', new URL(base).host);
  for (const [name, value] of headers) lines.push(name, value);
  if (req.body !== undefined) lines.push('Content-Length', String(Buffer.byteLength(req.body)));
  return new Promise<RawAnswer>((resolve, reject) => {
    const signal = AbortSignal.timeout(HANG_BOUND_MS);
    const outgoing = request(
      `${base}${req.path}`,
      { method: req.method ?? 'POST', headers: lines, signal },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    outgoing.on('error', (err) =>
      reject(
        signal.aborted
          ? new Error(`${req.method ?? 'POST'} ${req.path}: no answer within ${HANG_BOUND_MS} ms`)
          : err,
      ),
    );
    outgoing.end(req.body);
  });
}
