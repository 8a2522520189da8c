import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  createLocalJWKSet,
  errors as joseErrors,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWSHeaderParameters,
} from 'jose';
import { basicAuthorization } from '../common/basic-auth';
import { CLOCK, type Clock } from '../common/clock';
import { OutboundHttp } from '../common/outbound-http';
import { STS_CONFIG, type StsConfig } from '../config/config';
import { isHmac } from '../config/algorithms';
import { redactOutboundUrl } from '../logging/logger';
import { MetricsService } from '../metrics/metrics.service';
import { FetchHistory, type FetchSummary } from './fetch-history';
import { verifyJws, type VerificationKey, type VerifiedJws } from './jws-verification';
import { Rejections } from './rejections';

/** A JWKS to verify incoming tokens with (Kong's `*_jwks_uri` family). */
export interface JwksSource {
  uri: string;
  /** Basic auth for the fetch (`*_jwks_uri_client_username` / `_password`). */
  username?: string | null;
  password?: string | null;
  /** `*_jwks_uri_rotate_period`: refetch at least this often; 0 = the cache max age only. */
  rotatePeriodSeconds?: number;
}

/** A key set as an operator sees it: the keys it holds (never their material) and its fetches. */
export interface RemoteJwksStatus {
  uri: string;
  /** Fetched with Basic credentials. */
  authenticated: boolean;
  keys: { kid: string | undefined; kty: string | undefined; alg: string | undefined }[];
  /**
   * When the set is due: the first token verified from then on fetches it again (an unknown `kid`
   * may fetch sooner, once per cooldown). Before a first success: when the next try may start.
   */
  nextRefreshAt: number | null;
  fetches: FetchSummary;
}

export interface RemoteJwksOptions {
  uri: string;
  headers: Record<string, string>;
  maxAgeMs: number;
  cooldownMs: number;
  timeoutMs: number;
}

/**
 * A set never fetched (the IdP was down when we started) is tried again after 1 s, then 2, 4, …
 * up to the cooldown: a service that starts before its IdP (docker compose, a node reboot) must
 * not answer 503 for a whole cooldown after the IdP came up.
 */
const COLD_RETRY_MS = 1000;

/** JWKS answers are small; anything near this is not a key set. */
const MAX_JWKS_BYTES = 512 * 1024;

/**
 * One IdP key set, fetched through the outbound client and held with jose's local JWKS:
 * - used for `maxAgeMs`, then fetched again before use;
 * - an unknown `kid` fetches again, but at most once per `cooldownMs` however many such tokens
 *   arrive (concurrent requests share one fetch);
 * - when a fetch fails the last good set stays in use (stale-while-error); only when no set was
 *   ever fetched is the IdP "unavailable", and then it is tried again with a growing backoff.
 * All times come from the injected clock.
 */
export class RemoteJwks {
  private local: ReturnType<typeof createLocalJWKSet> | undefined;
  private document: JSONWebKeySet | undefined;
  private fetchedAt: number | undefined;
  private attemptedAt: number | undefined;
  /** Failed fetches since the last success, while no set was ever held. */
  private coldFailures = 0;
  private pending: Promise<void> | undefined;
  /** jose's local set refuses symmetric algorithms; `oct` keys are imported here instead. */
  private hmacKeys = new Map<JWK, Map<string, Promise<VerificationKey>>>();
  /** The `kid`s of the current set, and a number that moves whenever the set's content does. */
  private kids = new Set<string>();
  private documentText: string | undefined;
  private version = 0;
  private readonly history = new FetchHistory();

  constructor(
    readonly options: RemoteJwksOptions,
    private readonly http: OutboundHttp,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: MetricsService,
  ) {}

  /** A set was fetched at least once (it may be stale since: the last good set stays in use). */
  get warmed(): boolean {
    return this.local !== undefined;
  }

  status(): RemoteJwksStatus {
    const { maxAgeMs } = this.options;
    return {
      uri: this.options.uri,
      authenticated: this.options.headers.authorization !== undefined,
      keys: (this.document?.keys ?? []).map((jwk) => ({
        kid: jwk.kid,
        kty: jwk.kty,
        alg: jwk.alg,
      })),
      nextRefreshAt:
        this.fetchedAt !== undefined
          ? this.fetchedAt + maxAgeMs
          : this.attemptedAt !== undefined
            ? this.attemptedAt + this.retryWaitMs()
            : null,
      fetches: this.history.current,
    };
  }

  /**
   * For readiness: fetches a set never fetched, unless one was just tried (the cooldown bounds
   * what probes cost a down IdP). A warmed set is left alone: readiness must not wait on the IdP.
   */
  async warmIfCold(): Promise<boolean> {
    if (!this.local && (this.pending || !this.coolingDown()))
      await this.refresh().catch(() => undefined);
    return this.warmed;
  }

  /** Verifies a compact JWS against this set (see verifyJws). */
  verify(token: string, algorithms: readonly string[]): Promise<VerifiedJws> {
    return verifyJws(token, algorithms, (header) => this.keysFor(header));
  }

  /**
   * The set is not due for a refetch: what it says still counts. (Once due, the next token
   * verified fetches it again, so a key the IdP withdrew stops verifying then.)
   */
  get fresh(): boolean {
    return (
      this.fetchedAt !== undefined && this.clock.now() - this.fetchedAt < this.options.maxAgeMs
    );
  }

  /** Moves whenever a fetch brings a set different from the one held. */
  get generation(): number {
    return this.version;
  }

  /** The current set holds a key with this `kid`. */
  holds(kid: string): boolean {
    return this.kids.has(kid);
  }

  /** Candidate keys for a token header; throws a rejection when there are none. */
  async keysFor(header: JWSHeaderParameters): Promise<VerificationKey[]> {
    if (!this.local) {
      if (this.coolingDown() && !this.pending) throw this.unavailable();
      await this.refresh().catch(() => undefined);
      if (!this.local) throw this.unavailable();
    } else if (this.clock.now() - this.fetchedAt! >= this.options.maxAgeMs) {
      if (this.pending || !this.coolingDown()) await this.refresh().catch(() => undefined);
    }
    let keys = await this.match(header);
    if (keys.length === 0 && (this.pending || !this.coolingDown())) {
      await this.refresh().catch(() => undefined);
      keys = await this.match(header);
    }
    if (keys.length === 0)
      throw Rejections.invalid(
        header.kid === undefined
          ? `no key of the issuer fits ${header.alg}`
          : 'no key of the issuer matches the kid',
      );
    return keys;
  }

  /** Fetches the set now (one fetch at a time); a failure keeps the previous set. */
  refresh(): Promise<void> {
    if (this.pending) return this.pending;
    this.attemptedAt = this.clock.now();
    const current = this.fetch()
      .then((document) => {
        this.metrics.remoteJwksFetch(this.options.uri, true);
        const text = JSON.stringify(document);
        if (text !== this.documentText) {
          this.local = createLocalJWKSet(document);
          this.document = document;
          this.documentText = text;
          this.hmacKeys = new Map();
          this.kids = new Set(
            document.keys.flatMap((jwk) => (typeof jwk.kid === 'string' ? [jwk.kid] : [])),
          );
          this.version++;
        }
        this.fetchedAt = this.clock.now();
        this.coldFailures = 0;
        this.history.succeeded(this.fetchedAt);
      })
      .catch((err: Error) => {
        this.metrics.remoteJwksFetch(this.options.uri, false);
        if (!this.local) this.coldFailures++;
        // What is not the transport's is the answer: not a key set jose can use.
        this.history.failed(this.clock.now(), err, 'invalid_jwks');
        const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
        this.logger.warn(
          `JWKS ${redactOutboundUrl(this.options.uri)}: ${err.message}${cause}${this.local ? '; keeping the last good keys' : ''}`,
        );
        throw err;
      })
      .finally(() => {
        if (this.pending === current) this.pending = undefined;
      });
    this.pending = current;
    return current;
  }

  private async fetch(): Promise<JSONWebKeySet> {
    const document = await this.http.fetchJson({
      url: this.options.uri,
      spanName: 'sts.jwks.fetch',
      headers: { accept: 'application/jwk-set+json, application/json', ...this.options.headers },
      timeoutMs: this.options.timeoutMs,
      maxBytes: MAX_JWKS_BYTES,
    });
    // createLocalJWKSet validates the shape; a malformed answer counts as a failed fetch.
    createLocalJWKSet(document as JSONWebKeySet);
    return document as JSONWebKeySet;
  }

  /** How long after an attempt the next may start: the cooldown, or the cold backoff. */
  private retryWaitMs(): number {
    const { cooldownMs } = this.options;
    if (this.local) return cooldownMs;
    return Math.min(cooldownMs, COLD_RETRY_MS * 2 ** Math.max(0, this.coldFailures - 1));
  }

  private coolingDown(): boolean {
    return (
      this.attemptedAt !== undefined && this.clock.now() - this.attemptedAt < this.retryWaitMs()
    );
  }

  private unavailable() {
    const wait = (this.attemptedAt ?? 0) + this.retryWaitMs() - this.clock.now();
    return Rejections.idpUnavailable(
      'the identity provider keys are unavailable',
      Math.max(1, Math.ceil(wait / 1000)),
    );
  }

  private async match(header: JWSHeaderParameters): Promise<VerificationKey[]> {
    if (typeof header.alg === 'string' && isHmac(header.alg)) return this.matchHmac(header);
    try {
      return [await this.local!(header)];
    } catch (err) {
      if (err instanceof joseErrors.JWKSMultipleMatchingKeys) {
        const keys: VerificationKey[] = [];
        for await (const key of err) keys.push(key);
        return keys;
      }
      // No match, an algorithm jose does not take from a JWKS, or an unusable member.
      return [];
    }
  }

  private async matchHmac(header: JWSHeaderParameters): Promise<VerificationKey[]> {
    const alg = header.alg!;
    const candidates = (this.document?.keys ?? []).filter(
      (jwk) =>
        jwk.kty === 'oct' &&
        (header.kid === undefined || jwk.kid === header.kid) &&
        (jwk.alg === undefined || jwk.alg === alg) &&
        (jwk.use === undefined || jwk.use === 'sig'),
    );
    const keys: VerificationKey[] = [];
    for (const jwk of candidates) {
      let byAlg = this.hmacKeys.get(jwk);
      if (!byAlg) {
        byAlg = new Map<string, Promise<VerificationKey>>();
        this.hmacKeys.set(jwk, byAlg);
      }
      let key = byAlg.get(alg);
      if (!key) byAlg.set(alg, (key = importJWK(jwk, alg) as Promise<VerificationKey>));
      try {
        keys.push(await key);
      } catch {
        // A malformed member is skipped.
      }
    }
    return keys;
  }
}

/** The readiness condition of the IdP key sets (`/health/ready`; see `readiness`). */
export const IDP_JWKS_PROBE = 'idp_jwks';

/**
 * The registry of remote key sets: one per URI (and fetch credentials), shared by every profile
 * that names it, pre-warmed at boot.
 */
@Injectable()
export class RemoteJwksCache {
  private readonly logger = new Logger('RemoteJwks');
  private readonly sets = new Map<string, RemoteJwks>();
  /** The sets of the profiles known at boot: those readiness may wait for. */
  private bootSets: RemoteJwks[] = [];

  constructor(
    private readonly http: OutboundHttp,
    private readonly metrics: MetricsService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(STS_CONFIG) private readonly config: StsConfig,
  ) {}

  register(source: JwksSource): RemoteJwks {
    const headers: Record<string, string> = {};
    if (source.username != null && source.password != null) {
      headers.authorization = basicAuthorization(source.username, source.password);
    }
    const settings = this.config.verification;
    const rotate = source.rotatePeriodSeconds ?? 0;
    const maxAgeMs =
      1000 *
      (rotate > 0 ? Math.min(rotate, settings.jwksMaxAgeSeconds) : settings.jwksMaxAgeSeconds);
    const key = `${source.uri}\n${headers.authorization ?? ''}`;
    const existing = this.sets.get(key);
    if (existing) {
      existing.options.maxAgeMs = Math.min(existing.options.maxAgeMs, maxAgeMs);
      return existing;
    }
    const set = new RemoteJwks(
      {
        uri: source.uri,
        headers,
        maxAgeMs,
        cooldownMs: settings.jwksCooldownSeconds * 1000,
        timeoutMs: settings.jwksTimeoutMs,
      },
      this.http,
      this.clock,
      this.logger,
      this.metrics,
    );
    this.sets.set(key, set);
    return set;
  }

  /**
   * Fetches every registered set once (at boot, after the stored profiles are compiled); a
   * failing IdP is logged, never fatal. These sets are the ones readiness waits for.
   */
  async warm(): Promise<void> {
    this.bootSets = [...this.sets.values()];
    await Promise.allSettled(this.bootSets.map((set) => set.refresh()));
  }

  /**
   * "IdP JWKS warmed": every set of the profiles known at boot that a profile still uses (`inUse`)
   * was fetched at least once. A cold set is fetched here (at most once per cooldown), because a
   * not-ready instance gets no traffic that would fetch it. Once fetched a set stays warm whatever
   * the IdP does later (the last good keys keep verifying), so a down IdP never flaps readiness.
   * Run-time changes only ever take sets out: a boot set no profile uses any more (deleted or
   * edited away) is forgotten for good, and sets named at run time do not count, so an admin typo
   * (even one naming a forgotten set again) never takes a ready instance out of rotation.
   */
  async readiness(inUse: ReadonlySet<RemoteJwks>): Promise<{ sets: number }> {
    this.bootSets = this.bootSets.filter((set) => inUse.has(set));
    const warmed = await Promise.all(this.bootSets.map((set) => set.warmIfCold()));
    const cold = warmed.filter((ok) => !ok).length;
    // The answer is public: a count, not the IdP URIs (each failed fetch is logged with its URI).
    if (cold > 0)
      throw new Error(`${cold} of ${warmed.length} identity-provider JWKS never fetched`);
    return { sets: warmed.length };
  }
}
