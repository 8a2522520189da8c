import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson, startLocalServer } from '../helpers';
import { HANG_BOUND_MS, sendRaw, type RawAnswer } from './raw-http';
import { TcpProxy } from './tcp-proxy';

/**
 * What a dependency (IdP JWKS, introspection endpoint, key server) does instead of answering:
 * `slow` never answers (past any timeout), `garbage` answers 200 with an HTML page, `huge` streams
 * 10 MB, `error` answers 500; `down` (connection refused) is the proxy in front being cut.
 */
export type Fault = 'none' | 'slow' | 'garbage' | 'huge' | 'error';

export interface FaultyDependency {
  /** Its URL through the proxy (`down` is `proxy.cut()`). */
  url: string;
  fault: Fault;
  proxy: TcpProxy;
  close: () => Promise<void>;
}

const HUGE_BYTES = 10 * 1024 * 1024;

function streamHuge(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  const chunk = Buffer.alloc(64 * 1024, '0');
  let sent = 0;
  const more = () => {
    while (sent < HUGE_BYTES && !res.destroyed) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', more);
    }
    res.end();
  };
  res.write('[');
  more();
}

/** A loopback dependency answering with `healthy` unless a fault is set, behind a TcpProxy. */
export async function startFaultyDependency(
  healthy: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<FaultyDependency> {
  const dependency = { fault: 'none' } as FaultyDependency;
  const server = await startLocalServer((req, res, body) => {
    switch (dependency.fault) {
      case 'none':
        return healthy(req, res, body);
      case 'slow':
        return; // never answers; the caller's deadline ends it
      case 'garbage':
        res.writeHead(200, { 'content-type': 'text/html' });
        return void res.end('<html><body>Service Unavailable</body></html>');
      case 'huge':
        return streamHuge(res);
      case 'error':
        return sendJson(res, 500, { error: 'internal' });
    }
  });
  const proxy = await TcpProxy.start({ host: '127.0.0.1', port: Number(new URL(server.url).port) });
  return Object.assign(dependency, {
    url: `http://127.0.0.1:${proxy.port}`,
    proxy,
    close: async () => {
      await proxy.close();
      await server.close();
    },
  });
}

/** The sum of a metric's series whose labels include `labels`, from Prometheus text. */
export function metricValue(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)(\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const seriesLabels = Object.fromEntries(
      [...(match[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k, v]),
    );
    if (Object.entries(labels).every(([k, v]) => seriesLabels[k] === v)) sum += Number(match[4]);
  }
  return sum;
}

/** One metric now, read through GET /metrics. */
export async function metric(
  base: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const res = await sendRaw(base, { method: 'GET', path: '/metrics' });
  assert.equal(res.status, 200);
  return metricValue(res.body, name, labels);
}

/** Polls `check` until it holds; failing after the hang bound (a bound, not a threshold). */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
): Promise<void> {
  const until = Date.now() + HANG_BOUND_MS;
  while (!(await check())) {
    if (Date.now() > until) assert.fail(`${what}: not within ${HANG_BOUND_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The contract's answer for an unavailable dependency on a token endpoint. */
export function assertUnavailable(res: RawAnswer, endpoint: 'verify' | 'exchange' | 'authz'): void {
  const where = `${endpoint}: ${res.status} ${res.body}`;
  if (endpoint === 'authz') {
    // Gateways turn a 5xx into a 500 (nginx) or let it through (Envoy fail-open).
    assert.equal(res.status, 401, where);
    assert.equal(res.body, '', where);
    assert.match(String(res.headers['www-authenticate']), /identity provider unavailable/, where);
    return;
  }
  assert.equal(res.status, 503, where);
  assert.equal(JSON.parse(res.body).code, 'ERR_IDP_UNAVAILABLE', where);
  assert.match(String(res.headers['retry-after']), /^\d+$/, where);
}
