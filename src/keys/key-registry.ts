import { Injectable } from '@nestjs/common';
import { importJWK, type JWK } from 'jose';
import { Errors, StsError } from '../common/errors';
import type { SigningAlgorithm } from '../config/algorithms';
import type { RotationSettings } from '../config/rotation';
import type { ManagedBy } from '../database/columns';
import type { KeyStatus } from '../database/signing-key.entity';
import type { PrivateJwksSource } from './private-jwks';
import { retentionEndsAt, scheduledRotationAt } from './rotation-policy';
import type { SigningKey } from './signing-key';

export const DEFAULT_KEYSET = 'default';

/** A key in memory with its place in the keyset's timeline. */
export interface HeldKey extends SigningKey {
  readonly generation: number;
  /** current: when it started signing; next: when it will. */
  readonly activeFrom: number | null;
  readonly retiredAt: number | null;
}

export interface StoredOrigin {
  kind: 'stored';
  id: string;
  createdAt: number;
  revision: number;
  rsaBits: number | null;
  rotation: RotationSettings;
  managedBy: ManagedBy;
  /** When the file stopped declaring it: none of its keys signs any more. */
  retiredAt: number | null;
}

export interface ExternalOrigin {
  kind: 'external';
  source: PrivateJwksSource;
  refreshSeconds: number | undefined;
  /** false for the private key sets of KrakenD signers' `jwk-url`, which belong to the signer. */
  listed: boolean;
}

export interface HeldKeyset {
  name: string;
  algorithm: SigningAlgorithm | undefined;
  origin: StoredOrigin | ExternalOrigin;
  /** Sorted: current first, then next, then previous from newest to oldest. */
  keys: HeldKey[];
}

/** Everything about a keyset that may leave the service: public JWKs and metadata only. */
export interface KeysetDescription {
  name: string;
  algorithm: SigningAlgorithm | undefined;
  stored?: {
    id: string;
    createdAt: number;
    rsaBits: number | null;
    rotation: RotationSettings;
    scheduledRotationAt: number | null;
    retiredAt: number | null;
  };
  external?: { jwksUrl: string; refreshSeconds: number | undefined };
  keys: {
    kid: string;
    alg: string;
    status: KeyStatus;
    createdAt: number;
    activeFrom: number | null;
    retiredAt: number | null;
    /** previous keys: when age alone stops keeping them published. */
    retainedUntil: number | null;
    publicJwk: JWK | undefined;
  }[];
}

export interface KeySelection {
  kid?: string;
  alg?: SigningAlgorithm;
}

/**
 * A stored keyset's current key, or for an external set the key with the given `kid` (else the
 * only key of `alg`).
 */
export function selectSigningKey(keyset: HeldKeyset, select: KeySelection): HeldKey {
  const candidates = keyset.keys.filter(
    (k) =>
      k.status === 'current' &&
      (select.kid === undefined || k.kid === select.kid) &&
      (select.alg === undefined || k.alg === select.alg),
  );
  if (candidates.length === 1 || (keyset.origin.kind === 'stored' && candidates.length > 0))
    return candidates[0]!;
  throw new StsError(
    'ERR_SIGNING_KEY_UNAVAILABLE',
    candidates.length === 0
      ? `keyset "${keyset.name}" has no key for ${select.kid ? `kid "${select.kid}"` : (select.alg ?? 'signing')}`
      : `keyset "${keyset.name}" holds several ${select.alg ?? ''} keys; set kid to choose one`,
  );
}

const isListed = (held: HeldKeyset): boolean => held.origin.kind === 'stored' || held.origin.listed;

/**
 * Every keyset held in memory, stored or external: the only place the service reads keys from —
 * to sign, to verify its own tokens, to publish. Stored keysets are written by KeysetService and
 * KeysetRotation, external ones by ExternalKeysets; each change is `hold`/`drop` here.
 */
@Injectable()
export class KeyRegistry {
  private readonly keysets = new Map<string, HeldKeyset>();
  private readonly rotationListeners: ((keyset: string) => void)[] = [];
  private readonly verifiers = new WeakMap<SigningKey, CryptoKey>();
  private version = 0;

  /** Bumps whenever the set of published keys changes; the JWKS ETag follows it. */
  get publishedVersion(): number {
    return this.version;
  }

  has(name: string): boolean {
    return this.keysets.has(name);
  }

  /** Held, and not retired: it has a key that signs (or, external, one it may have). */
  canSign(name: string): boolean {
    const origin = this.keysets.get(name)?.origin;
    return origin !== undefined && (origin.kind === 'external' || origin.retiredAt === null);
  }

  get(name: string): HeldKeyset | undefined {
    return this.keysets.get(name);
  }

  all(): HeldKeyset[] {
    return [...this.keysets.values()];
  }

  /** The algorithm of a stored keyset (undefined when unknown or external). */
  algorithmOf(name: string): SigningAlgorithm | undefined {
    return this.keysets.get(name)?.algorithm;
  }

  /**
   * Called with the keyset name whenever its current key changes: a rotation here, one applied
   * by another instance, or a new key at an external source. Caches of minted tokens drop theirs.
   */
  onRotation(listener: (keyset: string) => void): void {
    this.rotationListeners.push(listener);
  }

  /** The key to sign with (see selectSigningKey); 404 for an unknown keyset. */
  signingKey(name: string, select: KeySelection = {}): HeldKey {
    const keyset = this.keysets.get(name);
    if (!keyset) throw Errors.notFound(`keyset "${name}"`);
    return selectSigningKey(keyset, select);
  }

  /** Public JWKs of every asymmetric key that is current, pre-published or retained. */
  publishedKeys(name?: string): JWK[] {
    const sets =
      name === undefined ? [...this.keysets.values()] : [this.keysets.get(name)].filter(Boolean);
    return (sets as HeldKeyset[])
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((set) =>
        set.keys.map((k) => k.publicJwk).filter((jwk): jwk is JWK => jwk !== undefined),
      );
  }

  /**
   * The key that verifies a token we signed: looked up by `kid` among keys we hold (any status),
   * and only for the algorithm that key signs with.
   */
  async verificationKey(kid: string, alg: string): Promise<CryptoKey | Uint8Array | undefined> {
    for (const set of this.keysets.values()) {
      const key = set.keys.find((k) => k.kid === kid && k.alg === alg);
      if (!key) continue;
      if (!key.publicJwk) return key.key;
      let verifier = this.verifiers.get(key);
      if (!verifier) {
        verifier = (await importJWK(key.publicJwk, key.alg)) as CryptoKey;
        this.verifiers.set(key, verifier);
      }
      return verifier;
    }
    return undefined;
  }

  /** Stored keysets and listed external ones, by name (signers' own key sets are theirs). */
  list(): KeysetDescription[] {
    return [...this.keysets.values()]
      .filter(isListed)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map(describeHeld);
  }

  describe(name: string): KeysetDescription {
    const held = this.keysets.get(name);
    if (!held || !isListed(held)) throw Errors.notFound(`keyset "${name}"`);
    return describeHeld(held);
  }

  /** Holds a keyset's new state; listeners hear of a changed current key. */
  hold(keyset: HeldKeyset): void {
    const before = this.keysets.get(keyset.name);
    this.keysets.set(keyset.name, keyset);
    this.version++;
    const currentKid = (set: HeldKeyset | undefined) =>
      set?.keys.find((k) => k.status === 'current')?.kid;
    if (before && currentKid(before) !== currentKid(keyset)) {
      for (const listener of this.rotationListeners) listener(keyset.name);
    }
  }

  drop(name: string): void {
    if (this.keysets.delete(name)) this.version++;
  }
}

function describeHeld(set: HeldKeyset): KeysetDescription {
  const { origin } = set;
  return {
    name: set.name,
    algorithm: set.algorithm,
    ...(origin.kind === 'stored'
      ? {
          stored: {
            id: origin.id,
            createdAt: origin.createdAt,
            rsaBits: origin.rsaBits,
            rotation: origin.rotation,
            scheduledRotationAt: scheduledRotationAt(set.keys, origin.rotation),
            retiredAt: origin.retiredAt,
          },
        }
      : { external: { jwksUrl: origin.source.url, refreshSeconds: origin.refreshSeconds } }),
    keys: set.keys.map((k) => ({
      kid: k.kid,
      alg: k.alg,
      status: k.status,
      createdAt: k.createdAt,
      activeFrom: k.activeFrom,
      retiredAt: k.retiredAt,
      retainedUntil:
        origin.kind === 'stored' && k.retiredAt !== null
          ? retentionEndsAt(k.retiredAt, origin.rotation)
          : null,
      publicJwk: k.publicJwk,
    })),
  };
}
