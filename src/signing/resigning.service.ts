import { Inject, Injectable } from '@nestjs/common';
import { basicAuthorization } from '../common/basic-auth';
import { CLOCK, epochSeconds, type Clock } from '../common/clock';
import { DEFAULT_EXCHANGE_CACHE, ExchangeCache } from './exchange-cache';
import { isSigningAlgorithm } from '../config/algorithms';
import { ExternalKeysets } from '../keys/external-keysets';
import { DEFAULT_KEYSET, KeyRegistry } from '../keys/key-registry';
import { KeysetService } from '../keys/keyset.service';
import type { SigningKey } from '../keys/signing-key';
import type { Profile } from '../config/profile-parameters';
import type { VerifiedToken } from '../verification/types';
import { applyClaimEdits } from './claims-transform';
import type { JwsHeaderExtras } from './jws';
import { JwsSigner } from './jws-signer.service';
import { MetricsService } from '../metrics/metrics.service';
import { slotSigning, type TokenSlot } from './profile-signing';

export interface MintedToken {
  token: string;
  /** Epoch seconds, when the token has an `exp`. */
  exp: number | undefined;
}

const isUrl = (value: string): boolean => /^https?:\/\//i.test(value);

/**
 * Kong JWT Signer's re-signing: the verified claims with Kong's edits, signed by the profile's
 * keyset. Identical inputs within a profile version come from the exchange cache.
 */
@Injectable()
export class ResigningService {
  readonly cache = new ExchangeCache(DEFAULT_EXCHANGE_CACHE);
  private readonly fingerprints = new WeakMap<Profile, string>();
  private readonly externalKeysets = new Map<string, Promise<void>>();

  constructor(
    private readonly keysets: KeysetService,
    private readonly registry: KeyRegistry,
    private readonly external: ExternalKeysets,
    private readonly jws: JwsSigner,
    private readonly metrics: MetricsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    registry.onRotation(() => this.cache.clear());
    metrics.setExchangeCacheSizeSource(() => this.cache.size);
  }

  async resign(profile: Profile, slot: TokenSlot, verified: VerifiedToken): Promise<MintedToken> {
    const settings = slotSigning(profile, slot);
    const now = epochSeconds(this.clock);
    // A verified JWT's claims are its payload, so the token stands for them; an introspection
    // answer may change while the token does not, so its claims are part of the key.
    const cacheKey = ExchangeCache.key(
      profile.name,
      this.fingerprint(profile),
      slot,
      verified.token,
      verified.introspected ? JSON.stringify(verified.claims) : '',
    );
    const cached = this.cache.get(cacheKey, now);
    this.metrics.exchangeCache(cached ? 'hit' : 'miss');
    if (cached) return { token: cached.token, exp: cached.exp };

    const claims = applyClaimEdits(verified.claims, {
      issuer: settings.issuer,
      upstreamLeeway: settings.upstreamLeeway,
      remove: settings.remove,
      globalSet: profile.set_claims,
      set: settings.set,
      add: settings.add,
      globalAdd: profile.add_claims,
    });
    const key = await this.signingKeyFor(settings.keyset, settings.algorithm, settings.keysetAuth);
    const token = await this.sign(claims, key);
    const exp = typeof claims.exp === 'number' ? claims.exp : undefined;
    if (exp !== undefined) this.cache.set(cacheKey, { token, mintedAt: now, exp });
    return { token, exp };
  }

  sign(claims: object, key: SigningKey, extras?: JwsHeaderExtras): Promise<string> {
    return this.jws.compact(claims, key, extras);
  }

  /**
   * The key for a profile's `*_keyset` and `*_signing_algorithm`: a URL is an external private JWKS
   * (key chosen by `alg`); a name is our keyset, created on first use (`default` when unset; a
   * retired one signs again).
   * Without an algorithm, the keyset's own current key signs (RS256 when it must be created).
   * Not finding one counts in `sts_signing_failures_total{reason="key_unavailable"}`.
   */
  async signingKeyFor(
    keyset: string | undefined,
    algorithm: string | undefined,
    auth: { username?: string; password?: string } = {},
  ): Promise<SigningKey> {
    try {
      return await this.findSigningKey(keyset, algorithm, auth);
    } catch (err) {
      this.metrics.signingFailure('key_unavailable');
      throw err;
    }
  }

  private async findSigningKey(
    keyset: string | undefined,
    algorithm: string | undefined,
    auth: { username?: string; password?: string },
  ): Promise<SigningKey> {
    if (algorithm !== undefined && !isSigningAlgorithm(algorithm)) {
      throw new Error(`unsupported signing algorithm ${algorithm}`);
    }
    if (keyset && isUrl(keyset)) {
      const name = `url:${keyset}`;
      let registered = this.externalKeysets.get(name);
      if (!registered) {
        const headers: Record<string, string> = {};
        if (auth.username !== undefined) {
          headers.authorization = basicAuthorization(auth.username, auth.password ?? '');
        }
        registered = this.external.register(name, { url: keyset, headers });
        registered.catch(() => this.externalKeysets.delete(name));
        this.externalKeysets.set(name, registered);
      }
      await registered;
      return this.registry.signingKey(name, algorithm ? { alg: algorithm } : {});
    }
    const base = keyset ?? DEFAULT_KEYSET;
    // Kong keeps keys of every algorithm under one keyset name; ours hold one algorithm each, so
    // another algorithm under the same name lives in `<name>-<alg>`.
    const existing = this.registry.algorithmOf(base);
    const name =
      algorithm === undefined || existing === undefined || existing === algorithm
        ? base
        : `${base}-${algorithm}`;
    if (!this.registry.canSign(name))
      await this.keysets.ensureKeyset({
        name,
        algorithm: algorithm ?? this.registry.algorithmOf(name) ?? 'RS256',
      });
    return this.registry.signingKey(name, { alg: algorithm });
  }

  /** Profile versions: an edited profile is a new object, so cached tokens of the old one never match. */
  private fingerprint(profile: Profile): string {
    let fingerprint = this.fingerprints.get(profile);
    if (!fingerprint) {
      fingerprint = ExchangeCache.key(JSON.stringify(profile));
      this.fingerprints.set(profile, fingerprint);
    }
    return fingerprint;
  }
}
