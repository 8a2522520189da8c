import { Injectable, Logger } from '@nestjs/common';
import { calculateJwkThumbprint, importJWK, type JWK } from 'jose';
import { Errors } from '../common/errors';
import { isSigningAlgorithm, type SigningAlgorithm } from '../config/algorithms';
import type { RotationSettings } from '../config/rotation';
import type { KeysetEntity } from '../database/keyset.entity';
import type { KeyStatus, SigningKeyEntity } from '../database/signing-key.entity';
import { KeyRegistry, type HeldKey, type StoredOrigin } from './key-registry';
import { KeysetStore, RevisionConflict, type StoredKeyset } from './keyset.store';
import { MissingMasterKeyError } from './master-key';
import { thumbprintInput } from './public-jwk';

const STATUS_ORDER: Record<KeyStatus, number> = { current: 0, next: 1, previous: 2 };
const CONFLICT_ATTEMPTS = 3;

export const settingsOf = (keyset: KeysetEntity): RotationSettings => ({
  retain: keyset.retain,
  periodSeconds: keyset.rotationPeriod,
  prepublishSeconds: keyset.prepublish,
  maxTokenLifetimeSeconds: keyset.maxTokenLifetime,
});

/**
 * How changes to stored keysets are made: one at a time per keyset in this process, retried when
 * another instance changed the row first, and always ending with the registry reloaded from the
 * database, which is the truth.
 */
@Injectable()
export class StoredKeysets {
  private readonly logger = new Logger(StoredKeysets.name);
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Keyset → kid → status of its stored records that cannot be loaded (logged once each). */
  private readonly unloadable = new Map<string, Map<string, KeyStatus>>();

  constructor(
    private readonly store: KeysetStore,
    private readonly registry: KeyRegistry,
  ) {}

  /** The held origin of a stored keyset: 404 when unknown, 400 when managed externally. */
  origin(name: string): StoredOrigin {
    const held = this.registry.get(name);
    if (!held || (held.origin.kind === 'external' && !held.origin.listed))
      throw Errors.notFound(`keyset "${name}"`);
    if (held.origin.kind === 'external')
      throw Errors.invalidRequest(
        `keyset "${name}" is managed externally (jwks_url); change it at its source`,
      );
    return held.origin;
  }

  async readOrNotFound(name: string): Promise<StoredKeyset> {
    const stored = await this.store.read(name);
    if (stored) return stored;
    await this.reload(name);
    throw Errors.notFound(`keyset "${name}"`);
  }

  /** Replaces the registry's copy of a stored keyset with the database's (or drops it). */
  async reload(name: string): Promise<void> {
    const stored = await this.store.read(name);
    const before = this.registry.get(name);
    if (!stored) {
      if (before?.origin.kind === 'stored') this.registry.drop(name);
      return;
    }
    const { keyset, keys: rows } = stored;
    if (!isSigningAlgorithm(keyset.algorithm)) {
      throw new Error(`keyset "${name}" has unsupported algorithm ${keyset.algorithm}`);
    }
    const known = new Map((before?.keys ?? []).map((k) => [k.kid, k]));
    const keys: HeldKey[] = [];
    const unloadable = new Map<string, KeyStatus>();
    for (const row of [...rows].sort(
      (a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || b.generation - a.generation,
    )) {
      // A key already in memory is not unsealed again: only its place in the timeline moves.
      const held = known.get(row.kid);
      const loaded = held ?? (await this.load(name, row));
      if (!loaded) {
        unloadable.set(row.kid, row.status);
        continue;
      }
      keys.push({
        kid: row.kid,
        alg: row.alg as SigningAlgorithm,
        key: loaded.key,
        publicJwk: loaded.publicJwk,
        status: row.status,
        createdAt: row.createdAt,
        generation: row.generation,
        activeFrom: row.activatedAt,
        retiredAt: row.retiredAt,
      });
    }
    this.unloadable.set(name, unloadable);
    this.registry.hold({
      name,
      algorithm: keyset.algorithm,
      origin: {
        kind: 'stored',
        id: keyset.id,
        createdAt: keyset.createdAt,
        revision: keyset.revision,
        rsaBits: keyset.rsaBits,
        rotation: settingsOf(keyset),
        managedBy: keyset.managedBy,
        retiredAt: keyset.retiredAt,
      },
      keys,
    });
  }

  /** The keyset's stored records that cannot be loaded (kid → status): they never sign or publish. */
  unloadableKeys(name: string): ReadonlyMap<string, KeyStatus> {
    return this.unloadable.get(name) ?? new Map();
  }

  /**
   * A stored key as it will be held, or undefined when its record is damaged: the private key
   * does not decrypt (AES-GCM refuses a changed or moved record) or is no key of its algorithm,
   * the public key is not one, or either does not hash to the record's kid. Such a key would sign
   * tokens nobody verifies, or publish a key nobody signs with: it is left out and named in the
   * log (never with any of its material). A master key that STS_MASTER_KEY lacks is a
   * configuration error instead, and stops start-up.
   */
  private async load(
    keyset: string,
    row: SigningKeyEntity,
  ): Promise<Pick<HeldKey, 'key' | 'publicJwk'> | undefined> {
    let problem = 'its private key does not decrypt';
    try {
      const privateJwk = this.store.unseal(keyset, row);
      problem = `its private key is not an ${row.alg} key matching its kid`;
      if ((await calculateJwkThumbprint(thumbprintInput(privateJwk))) !== row.kid)
        throw new Error(problem);
      const key = await importJWK(privateJwk, row.alg);
      problem = 'its public key is not the one of its kid';
      const publicJwk = row.publicJwk ? (JSON.parse(row.publicJwk) as JWK) : undefined;
      if (publicJwk && (await calculateJwkThumbprint(thumbprintInput(publicJwk))) !== row.kid)
        throw new Error(problem);
      return { key, publicJwk };
    } catch (err) {
      if ((err as Error).cause instanceof MissingMasterKeyError) throw err;
      if (!this.unloadable.get(keyset)?.has(row.kid))
        this.logger.error(
          `keyset "${keyset}" key ${row.kid} (${row.status}): the stored record is damaged (${problem}); it never signs and is not published`,
        );
      return undefined;
    }
  }

  /**
   * Reads the keyset and runs a change of it, retried when another instance changed it first;
   * memory is reloaded from the database after every attempt. The caller holds the keyset's lock.
   */
  changeLocked<T>(name: string, change: (stored: StoredKeyset) => Promise<T>): Promise<T> {
    return this.retrying(name, async () => {
      const stored = await this.readOrNotFound(name);
      try {
        return await change(stored);
      } finally {
        await this.reload(name);
      }
    });
  }

  /** Retries work that lost a revision race (the memory copy is reloaded in between). */
  async retrying<T>(name: string, work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (err) {
        if (!(err instanceof RevisionConflict) || attempt >= CONFLICT_ATTEMPTS) throw err;
        this.logger.warn(`keyset "${name}" changed concurrently; retrying`);
      }
    }
  }

  /** One change at a time per keyset within this process. */
  async serialized<T>(name: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(name) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.locks.set(name, next);
    try {
      return await next;
    } finally {
      if (this.locks.get(name) === next) this.locks.delete(name);
    }
  }
}
