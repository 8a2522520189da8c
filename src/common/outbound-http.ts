import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import {
  checkServerIdentity,
  rootCertificates,
  type DetailedPeerCertificate,
  type PeerCertificate,
} from 'node:tls';
import { Agent, request } from 'undici';
import { TRACING_OFF, type SpanAttributes, type Tracing } from './tracing';

export interface OutboundRequest {
  url: string;
  /** What the call is for: the name of its CLIENT span when tracing is on (`sts.jwks.fetch`). */
  spanName: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Whole-exchange deadline. */
  timeoutMs?: number;
  /** Response bodies larger than this are refused. */
  maxBytes?: number;
  /** Allow plain http to a non-loopback host for this call (KrakenD's `disable_jwk_security`). */
  allowHttp?: boolean;
  /**
   * KrakenD's `jwk_fingerprints`: URL-safe base64 SHA-256 of a public key (SPKI); the call goes
   * through only when a certificate of the server's chain has one of them.
   */
  pinnedFingerprints?: readonly string[];
  /** PEM CA certificates trusted for this call on top of the usual ones (KrakenD's `jwk_local_ca`). */
  extraCa?: string;
}

export interface OutboundResponse {
  status: number;
  contentType: string;
  body: Buffer;
}

/** Why an outbound call failed, by kind: how failures are counted for operators. */
export type OutboundFailure =
  | 'url_refused'
  | 'timeout'
  | 'network'
  | 'pin_mismatch'
  | 'too_large'
  | 'http_status'
  | 'invalid_json';

export class OutboundHttpError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly reason: OutboundFailure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OutboundHttpError';
  }
}

export interface OutboundHttpOptions {
  /** `STS_ALLOW_INSECURE_HTTP`: plain http to any host. */
  allowInsecureHttp: boolean;
  /** Extra trusted CA certificates (PEM), for tests; production uses NODE_EXTRA_CA_CERTS. */
  ca?: string[];
  /** Each call gets a CLIENT span and carries its `traceparent` when tracing is on. */
  tracing?: Tracing;
}

export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_BYTES = 1024 * 1024;

/**
 * A `jwk_fingerprints` entry in the one form pins are compared in (unpadded base64url), or
 * undefined when it is not URL-safe base64 of 32 bytes. KrakenD writes it padded; both are taken.
 */
export function parsePin(text: string): string | undefined {
  return /^[A-Za-z0-9_-]{43}=?$/.test(text)
    ? Buffer.from(text, 'base64url').toString('base64url')
    : undefined;
}

/** SHA-256 of a certificate's public key (SPKI DER), as KrakenD pins it. */
const publicKeyPin = (certificate: PeerCertificate): string =>
  createHash('sha256')
    .update(new X509Certificate(certificate.raw).publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64url');

/** The server's certificate and its issuers, as far as the handshake gives them. */
function chainOf(certificate: PeerCertificate): PeerCertificate[] {
  const chain: PeerCertificate[] = [];
  let current: PeerCertificate | undefined = certificate;
  while (current && !chain.includes(current) && chain.length < 10) {
    chain.push(current);
    current = (current as Partial<DetailedPeerCertificate>).issuerCertificate;
  }
  return chain;
}

const PIN_MISMATCH = 'no certificate of the server chain matches a pinned fingerprint';

/** Whether a failed call was refused by the pins (said as such: it is a configuration matter). */
const refusedByPins = (err: unknown): boolean =>
  err instanceof Error && (err.message === PIN_MISMATCH || refusedByPins(err.cause));

/** Node's usual trust: its bundled roots plus NODE_EXTRA_CA_CERTS (an explicit `ca` replaces both). */
function usualCas(): string[] {
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  try {
    return extra ? [...rootCertificates, readFileSync(extra, 'utf8')] : [...rootCertificates];
  } catch {
    return [...rootCertificates]; // Node has already warned that it ignores that file.
  }
}

/** Where a call goes, for its span: never the query or user info, which may hold credentials. */
const clientSpanAttributes = (url: URL, method: string): SpanAttributes => ({
  'http.request.method': method,
  'server.address': url.hostname,
  'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
  'url.full': `${url.protocol}//${url.host}${url.pathname}`,
});

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * The one client for every outbound call (IdP JWKS, introspection, external keysets, signer
 * backends): https unless loopback, a deadline, a response size cap and never a redirect.
 */
export class OutboundHttp {
  private readonly agents = new Map<string, Agent>();
  private readonly tracing: Tracing;

  constructor(private readonly options: OutboundHttpOptions) {
    this.tracing = options.tracing ?? TRACING_OFF;
  }

  /** Throws when the URL may not be called under the https rule; used to validate config early. */
  assertAllowed(rawUrl: string, allowHttp = false): URL {
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch (cause) {
      throw new OutboundHttpError('not a valid URL', rawUrl, 'url_refused', { cause });
    }
    if (url.protocol === 'https:') return url;
    if (url.protocol !== 'http:')
      throw new OutboundHttpError('only http(s) URLs are allowed', rawUrl, 'url_refused');
    if (allowHttp || this.options.allowInsecureHttp || isLoopbackHost(url.hostname)) return url;
    throw new OutboundHttpError(
      'plain http is only allowed to loopback hosts (set STS_ALLOW_INSECURE_HTTP=true to lift this)',
      rawUrl,
      'url_refused',
    );
  }

  async fetch(req: OutboundRequest): Promise<OutboundResponse> {
    const url = this.assertAllowed(req.url, req.allowHttp);
    if (!this.tracing.enabled) return this.send(url, req, req.headers);
    const method = req.method ?? 'GET';
    return this.tracing.inSpan(
      req.spanName,
      'client',
      clientSpanAttributes(url, method),
      async (span) => {
        const headers = { ...req.headers };
        this.tracing.inject(headers);
        const res = await this.send(url, req, headers);
        span.setAttribute('http.response.status_code', res.status);
        return res;
      },
    );
  }

  private async send(
    url: URL,
    req: OutboundRequest,
    headers: Record<string, string> | undefined,
  ): Promise<OutboundResponse> {
    const maxBytes = req.maxBytes ?? DEFAULT_MAX_BYTES;
    const signal = AbortSignal.timeout(req.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    try {
      const res = await request(url, {
        method: req.method ?? 'GET',
        headers,
        body: req.body,
        signal,
        dispatcher: this.agentFor(req.pinnedFingerprints ?? [], req.extraCa),
      });
      const length = Number(res.headers['content-length'] ?? 0);
      if (length > maxBytes) {
        res.body.destroy();
        throw new OutboundHttpError(`response larger than ${maxBytes} bytes`, req.url, 'too_large');
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) {
          res.body.destroy();
          throw new OutboundHttpError(
            `response larger than ${maxBytes} bytes`,
            req.url,
            'too_large',
          );
        }
        chunks.push(chunk as Buffer);
      }
      const contentType = res.headers['content-type'];
      return {
        status: res.statusCode,
        contentType: typeof contentType === 'string' ? contentType : '',
        body: Buffer.concat(chunks),
      };
    } catch (err) {
      if (err instanceof OutboundHttpError) throw err;
      if (signal.aborted)
        throw new OutboundHttpError('timed out', req.url, 'timeout', { cause: err });
      if (refusedByPins(err))
        throw new OutboundHttpError(PIN_MISMATCH, req.url, 'pin_mismatch', { cause: err });
      throw new OutboundHttpError('request failed', req.url, 'network', { cause: err });
    }
  }

  /** Fetches and parses a JSON document, refusing non-2xx answers. */
  async fetchJson(req: OutboundRequest): Promise<unknown> {
    const res = await this.fetch(req);
    if (res.status < 200 || res.status > 299) {
      throw new OutboundHttpError(`answered HTTP ${res.status}`, req.url, 'http_status');
    }
    try {
      return JSON.parse(res.body.toString('utf8')) as unknown;
    } catch (cause) {
      throw new OutboundHttpError('answer is not valid JSON', req.url, 'invalid_json', { cause });
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((agent) => agent.close()));
    this.agents.clear();
  }

  private agentFor(pins: readonly string[], extraCa: string | undefined): Agent {
    const pinned = new Set(pins.map((pin) => parsePin(pin) ?? pin));
    const key = JSON.stringify([[...pinned].sort(), extraCa ?? null]);
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new Agent({
        connect: {
          ca: extraCa ? [...(this.options.ca ?? usualCas()), extraCa] : this.options.ca,
          checkServerIdentity: (host: string, cert: PeerCertificate) => {
            const mismatch = checkServerIdentity(host, cert);
            if (mismatch || pinned.size === 0) return mismatch;
            return chainOf(cert).some((c) => pinned.has(publicKeyPin(c)))
              ? undefined
              : new Error(PIN_MISMATCH);
          },
        },
      });
      this.agents.set(key, agent);
    }
    return agent;
  }
}
