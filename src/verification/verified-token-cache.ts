import { hash } from 'node:crypto';
import type { JWTHeaderParameters } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../common/clock';
import type { HeldCredential } from '../consumers/consumer.service';
import type { MetricsService } from '../metrics/metrics.service';
import type { Claims } from './claim-checks';
import type { SlotPolicy } from './profile.compiler';
import type { RemoteJwks } from './remote-jwks.cache';

/** What vouches for a cached signature: the IdP key set and `kid`, or the Kong JWT credential. */
export type SignatureWitness =
  | { kind: 'jwks'; keys: RemoteJwks; kid: string | undefined; generation: number }
  | { kind: 'credential'; credential: HeldCredential; current: () => HeldCredential | undefined };

export interface CachedSignature {
  header: JWTHeaderParameters;
  claims: Claims;
  /** Kong JWT: the credential that verified it. */
  credential?: HeldCredential;
}

interface Entry {
  verified: CachedSignature;
  witness: SignatureWitness;
  /** Epoch ms (injected clock): the token's `exp` or the cache's TTL, whichever comes first. */
  expiresAt: number;
}

export interface VerifiedTokenCacheOptions {
  /** Entries at most; 0 turns the cache off (`STS_VERIFY_CACHE_MAX`). */
  max: number;
  /** Longest life of an entry (`STS_VERIFY_CACHE_TTL`). */
  ttlSeconds: number;
  /** Bytes at most, counted as the token's and the claims' JSON length. */
  maxBytes: number;
}

/** About 8 KB tokens and their claims, 8 MB in all at the default of 10,000 entries: plenty. */
export const VERIFY_CACHE_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Tokens whose signature already verified, as Envoy's `jwt_authn` keeps them: a gateway sends the
 * same token with every request of a session, and checking its signature again is most of what
 * verifying costs. An entry is the header and claims of one token under one profile version
 * (keyed by a SHA-256 of the token; an edited profile compiles to new policies, so its entries are
 * never found again and are dropped), and it is trusted only while
 * - its life lasts: the token's `exp`, and at most the configured TTL;
 * - what verified it still stands: the IdP key set is fresh (not due for a refetch) and still
 *   holds the `kid` (a token without `kid` needs the very set it was verified against), or the
 *   Kong JWT credential is still the one held.
 * Claims are checked again on every hit (exp, nbf, allow-lists, scopes) by the caller; only the
 * signature is taken from here. Failures are never cached.
 */
export class VerifiedTokenCache {
  private readonly entries: LRUCache<string, Entry> | undefined;
  private readonly versions = new WeakMap<SlotPolicy, string>();
  private nextVersion = 0;

  constructor(
    private readonly options: VerifiedTokenCacheOptions,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
  ) {
    this.entries =
      options.max > 0
        ? new LRUCache<string, Entry>({
            max: options.max,
            maxSize: options.maxBytes,
            sizeCalculation: (entry, key) =>
              key.length + JSON.stringify(entry.verified.claims).length + 256,
          })
        : undefined;
    metrics.setVerifyCacheSizeSource(() => this.entries?.size ?? 0);
  }

  get enabled(): boolean {
    return this.entries !== undefined;
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }

  /** The token's verified header and claims, when an entry still stands. */
  get(policy: SlotPolicy, token: string): CachedSignature | undefined {
    if (!this.entries) return undefined;
    const key = this.keyOf(policy, token);
    const entry = this.entries.get(key);
    if (entry && this.stands(entry)) {
      this.metrics.verifyCache('hit');
      return entry.verified;
    }
    if (entry) this.entries.delete(key);
    this.metrics.verifyCache('miss');
    return undefined;
  }

  remember(
    policy: SlotPolicy,
    token: string,
    verified: CachedSignature,
    witness: SignatureWitness,
    exp: number | undefined,
  ): void {
    if (!this.entries) return;
    const now = this.clock.now();
    const expiresAt = Math.min(
      now + this.options.ttlSeconds * 1000,
      exp === undefined ? Infinity : exp * 1000,
    );
    if (expiresAt <= now) return;
    this.entries.set(this.keyOf(policy, token), { verified, witness, expiresAt });
  }

  /** Drops the entries of policies an edit replaced (they could never be found again). */
  forget(policies: readonly SlotPolicy[]): void {
    const versions = policies.flatMap((policy) => this.versions.get(policy) ?? []);
    if (!this.entries || versions.length === 0) return;
    for (const key of [...this.entries.keys()])
      if (versions.some((version) => key.startsWith(version))) this.entries.delete(key);
  }

  private stands(entry: Entry): boolean {
    if (this.clock.now() >= entry.expiresAt) return false;
    const { witness } = entry;
    if (witness.kind === 'credential') return witness.current() === witness.credential;
    const { keys, kid } = witness;
    if (!keys.fresh) return false;
    if (witness.generation === keys.generation) return true;
    if (kid === undefined || !keys.holds(kid)) return false;
    witness.generation = keys.generation;
    return true;
  }

  /** Per profile version: the policies of an edited profile are new objects with a new version. */
  private keyOf(policy: SlotPolicy, token: string): string {
    let version = this.versions.get(policy);
    if (version === undefined) {
      version = `${this.nextVersion++}:`;
      this.versions.set(policy, version);
    }
    return version + hash('sha256', token, 'base64url');
  }
}
