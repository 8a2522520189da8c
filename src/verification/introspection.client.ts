import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { CLOCK, type Clock } from '../common/clock';
import { OutboundHttp } from '../common/outbound-http';
import { redactOutboundUrl } from '../logging/logger';
import { MetricsService } from '../metrics/metrics.service';
import { expiryOf, type Claims } from './claim-checks';
import { FetchHistory, type FetchSummary } from './fetch-history';
import type { ClaimPath } from '../config/profile-parameters';
import { Rejections } from './rejections';

/** One profile's introspection endpoint (Kong's `*_introspection_*` parameters). */
export interface IntrospectionTarget {
  endpoint: string;
  /** Sent as the exact `Authorization` value. */
  authorization: string | null;
  /** Extra URL-encoded form fields. */
  bodyArgs: string | null;
  /** `token_type_hint`; not sent when null. */
  hint: string | null;
  timeoutMs: number | null;
  cache: boolean;
  /** Where the result's expiry is (`*_introspection_expiry_claim`), bounding the cache. */
  expiryClaim: ClaimPath;
}

interface CachedResult {
  endpoint: string;
  result: Claims;
  /** Until then the result is used without asking again. */
  freshUntil: number;
  /** Until then (the token's own expiry) it may stand in when the endpoint is down. */
  validUntil: number;
}

/**
 * Results are reused for at most this long even when the token lives longer, so a revoked
 * token is noticed within minutes (Kong caches until the token's `exp`).
 */
const INTROSPECTION_FRESH_SECONDS = 300;
const CACHE_ENTRIES = 10_000;
const MAX_ANSWER_BYTES = 256 * 1024;
const RETRY_AFTER_SECONDS = 5;

const numeric = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

/**
 * RFC 7662 client: form POST of `token`, `token_type_hint` and the configured extra fields, with
 * the configured `Authorization`. Active results are cached under a SHA-256 of everything that
 * shapes the answer (endpoint, token, hint, authorization, extra fields); identical calls in
 * flight are shared. An endpoint that fails falls back to a cached result while the token is
 * still valid, else the IdP is "unavailable".
 */
@Injectable()
export class IntrospectionClient {
  private readonly logger = new Logger(IntrospectionClient.name);
  private readonly cache = new LRUCache<string, CachedResult>({ max: CACHE_ENTRIES });
  private readonly inFlight = new Map<string, Promise<Claims>>();
  private readonly histories = new Map<string, FetchHistory>();

  constructor(
    private readonly http: OutboundHttp,
    private readonly metrics: MetricsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The endpoint's answer for an active token (with `active`); throws a rejection. */
  async introspect(target: IntrospectionTarget, token: string): Promise<Claims> {
    const key = createHash('sha256')
      .update(
        JSON.stringify([
          target.endpoint,
          token,
          target.hint,
          target.authorization,
          target.bodyArgs,
        ]),
      )
      .digest('base64url');
    const cached = target.cache ? this.cache.get(key) : undefined;
    if (cached && this.clock.now() < cached.freshUntil) {
      this.metrics.introspection(target.endpoint, 'cache_hit');
      return cached.result;
    }

    let answer: Claims;
    try {
      let call = this.inFlight.get(key);
      if (!call) {
        call = this.call(target, token).finally(() => this.inFlight.delete(key));
        this.inFlight.set(key, call);
      }
      answer = await call;
    } catch (err) {
      if (cached && this.clock.now() < cached.validUntil) return cached.result;
      this.logger.warn(
        `introspection at ${redactOutboundUrl(target.endpoint)}: ${(err as Error).message}`,
      );
      throw Rejections.idpUnavailable(
        'the introspection endpoint is unavailable',
        RETRY_AFTER_SECONDS,
      );
    }
    if (answer.active !== true) {
      this.cache.delete(key);
      throw Rejections.invalid('token is not active');
    }
    if (target.cache) this.remember(key, target, answer);
    return answer;
  }

  /** An endpoint's calls and how many of its results are cached, for operators. */
  status(endpoint: string): { cachedResults: number; calls: FetchSummary } {
    let cachedResults = 0;
    for (const entry of this.cache.values()) if (entry.endpoint === endpoint) cachedResults++;
    return { cachedResults, calls: this.historyOf(endpoint).current };
  }

  private historyOf(endpoint: string): FetchHistory {
    let history = this.histories.get(endpoint);
    if (!history) this.histories.set(endpoint, (history = new FetchHistory()));
    return history;
  }

  private remember(key: string, target: IntrospectionTarget, result: Claims): void {
    const now = this.clock.now();
    const exp = expiryOf(result, target.expiryClaim);
    const expiresAt =
      exp !== undefined
        ? exp * 1000
        : numeric(result.expires_in)
          ? now + result.expires_in * 1000
          : undefined;
    const freshUntil = Math.min(now + INTROSPECTION_FRESH_SECONDS * 1000, expiresAt ?? Infinity);
    if (freshUntil <= now) return;
    this.cache.set(key, {
      endpoint: target.endpoint,
      result,
      freshUntil,
      validUntil: expiresAt ?? freshUntil,
    });
  }

  /** One request to the endpoint: counted as a `call`, and as a `failure` when it fails. */
  private async call(target: IntrospectionTarget, token: string): Promise<Claims> {
    this.metrics.introspection(target.endpoint, 'call');
    const history = this.historyOf(target.endpoint);
    try {
      const answer = await this.post(target, token);
      history.succeeded(this.clock.now());
      return answer;
    } catch (err) {
      this.metrics.introspection(target.endpoint, 'failure');
      history.failed(this.clock.now(), err, 'invalid_answer');
      throw err;
    }
  }

  private async post(target: IntrospectionTarget, token: string): Promise<Claims> {
    const form = new URLSearchParams({ token });
    if (target.hint !== null) form.set('token_type_hint', target.hint);
    if (target.bodyArgs !== null) {
      for (const [name, value] of new URLSearchParams(target.bodyArgs)) form.append(name, value);
    }
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (target.authorization !== null) headers.authorization = target.authorization;
    const answer = await this.http.fetchJson({
      url: target.endpoint,
      spanName: 'sts.introspection',
      method: 'POST',
      headers,
      body: form.toString(),
      timeoutMs: target.timeoutMs ?? undefined,
      maxBytes: MAX_ANSWER_BYTES,
    });
    if (typeof answer !== 'object' || answer === null || Array.isArray(answer))
      throw new Error('answer is not a JSON object');
    // RFC 7662 §2.2: `active` is required. Without it this is no introspection answer (a wrong
    // URL, a proxy's page): the endpoint failed, the token was not judged.
    if (typeof (answer as Claims).active !== 'boolean')
      throw new Error('answer has no boolean "active"');
    return answer as Claims;
  }
}
