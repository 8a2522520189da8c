import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type ExchangeCacheResult = 'hit' | 'miss';
export type IntrospectionResult = 'call' | 'cache_hit' | 'failure';
/** key_unavailable: no key to sign with (none current, or its key set did not load); signature: the JWS operation failed. */
const SIGNING_FAILURE_REASONS = ['key_unavailable', 'signature'] as const;
export type SigningFailureReason = (typeof SIGNING_FAILURE_REASONS)[number];

/** Latency buckets (seconds) of whole requests: sub-millisecond cache hits to outbound timeouts. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** One signature: tens of microseconds (HMAC, EdDSA) to milliseconds (RSA 4096). */
const SIGNING_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1];

/** Metric labels carry where a URL points, never its query (which may hold an API key). */
function urlLabel(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return 'invalid-url';
  }
}

/**
 * Owns every metric family of the service, in a registry of its own per app instance (tests
 * boot many apps in one process; prom-client's global registry would mix them). Modules feed it
 * through the typed methods below instead of touching prom-client.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly httpRequests = new Counter({
    name: 'sts_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly httpDuration = new Histogram({
    name: 'sts_http_request_duration_seconds',
    help: 'Time from receiving a request to finishing its answer',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });
  private readonly verificationOutcomes = new Counter({
    name: 'sts_verification_outcomes_total',
    help: 'Token verifications by profile and outcome code (OK or the error code)',
    labelNames: ['profile', 'code'] as const,
    registers: [this.registry],
  });
  private readonly exchangeCacheLookups = new Counter({
    name: 'sts_exchange_cache_requests_total',
    help: 'Lookups in the cache of re-signed tokens, by result (hit or miss)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly verifyCacheLookups = new Counter({
    name: 'sts_verify_cache_requests_total',
    help: 'Lookups in the cache of verified tokens, by result (hit or miss)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  /** Bound once: the verified-token cache is asked on every token-endpoint request. */
  private readonly verifyCacheResults = {
    hit: this.verifyCacheLookups.labels({ result: 'hit' }),
    miss: this.verifyCacheLookups.labels({ result: 'miss' }),
  };
  private readonly remoteJwksFetches = new Counter({
    name: 'sts_remote_jwks_fetches_total',
    help: 'Fetches of identity-provider JWKS, by URI and result (ok or failure)',
    labelNames: ['uri', 'result'] as const,
    registers: [this.registry],
  });
  private readonly introspections = new Counter({
    name: 'sts_introspection_requests_total',
    help: 'Token introspection by endpoint and result (call, cache_hit or failure)',
    labelNames: ['endpoint', 'result'] as const,
    registers: [this.registry],
  });
  private readonly externalKeysetLoads = new Counter({
    name: 'sts_external_keyset_loads_total',
    help: 'Loads of external private key sets (keysets[].jwks_url, jwk_url), by keyset and result',
    labelNames: ['keyset', 'result'] as const,
    registers: [this.registry],
  });
  private readonly signingDuration = new Histogram({
    name: 'sts_signing_duration_seconds',
    help: 'Time to produce one JWS, by algorithm',
    labelNames: ['alg'] as const,
    buckets: SIGNING_BUCKETS,
    registers: [this.registry],
  });

  private readonly signingFailures = new Counter({
    name: 'sts_signing_failures_total',
    help: 'Tokens that could not be signed, by reason (key_unavailable or signature)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  /**
   * Children bound once per label set: prom-client hashes the label object on every `inc()`,
   * which showed in the hot path's profile. The sets are bounded (route templates, methods,
   * statuses; profiles and catalogue codes), and no family here is ever reset.
   */
  private readonly httpChildren = new Map<
    string,
    { count: Counter.Internal; time: Histogram.Internal<string> }
  >();
  private readonly outcomeChildren = new Map<string, Counter.Internal>();
  private readonly exchangeCacheResults: Partial<Record<ExchangeCacheResult, Counter.Internal>> =
    {};
  private exchangeCacheSize: () => number = () => 0;
  private verifyCacheSize: () => number = () => 0;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Present at 0 from the start, so increase() sees the first failure.
    for (const reason of SIGNING_FAILURE_REASONS) this.signingFailures.inc({ reason }, 0);
    for (const child of Object.values(this.verifyCacheResults)) child.inc(0);
    const cacheSize = () => this.exchangeCacheSize();
    new Gauge({
      name: 'sts_exchange_cache_entries',
      help: 'Re-signed tokens currently cached',
      registers: [this.registry],
      collect() {
        this.set(cacheSize());
      },
    });
    const verifiedSize = () => this.verifyCacheSize();
    new Gauge({
      name: 'sts_verify_cache_entries',
      help: 'Verified tokens currently cached',
      registers: [this.registry],
      collect() {
        this.set(verifiedSize());
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every family. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  httpRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let children = this.httpChildren.get(key);
    if (!children) {
      const labels = { method, route, status: String(status) };
      children = {
        count: this.httpRequests.labels(labels),
        time: this.httpDuration.labels(labels),
      };
      this.httpChildren.set(key, children);
    }
    children.count.inc();
    children.time.observe(seconds);
  }

  verificationOutcome(profile: string, code: string): void {
    const key = `${profile}\0${code}`;
    let child = this.outcomeChildren.get(key);
    if (!child) {
      child = this.verificationOutcomes.labels({ profile, code });
      this.outcomeChildren.set(key, child);
    }
    child.inc();
  }

  exchangeCache(result: ExchangeCacheResult): void {
    // Bound on first use: a series appears only once its result has happened, as before.
    (this.exchangeCacheResults[result] ??= this.exchangeCacheLookups.labels({ result })).inc();
  }

  verifyCache(result: 'hit' | 'miss'): void {
    this.verifyCacheResults[result].inc();
  }

  /** The verified-token cache reports its size at scrape time through this callback. */
  setVerifyCacheSizeSource(size: () => number): void {
    this.verifyCacheSize = size;
  }

  /** The exchange cache reports its size at scrape time through this callback. */
  setExchangeCacheSizeSource(size: () => number): void {
    this.exchangeCacheSize = size;
  }

  externalKeysetLoad(keyset: string, ok: boolean): void {
    this.externalKeysetLoads.inc({ keyset, result: ok ? 'ok' : 'failure' });
  }

  remoteJwksFetch(uri: string, ok: boolean): void {
    this.remoteJwksFetches.inc({ uri: urlLabel(uri), result: ok ? 'ok' : 'failure' });
  }

  introspection(endpoint: string, result: IntrospectionResult): void {
    this.introspections.inc({ endpoint: urlLabel(endpoint), result });
  }

  signingLatency(alg: string, seconds: number): void {
    this.signingDuration.observe({ alg }, seconds);
  }

  signingFailure(reason: SigningFailureReason): void {
    this.signingFailures.inc({ reason });
  }
}
