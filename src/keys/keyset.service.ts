import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { importJWK, type JWK } from 'jose';
import { DataSource } from 'typeorm';
import { CLOCK, type Clock } from '../common/clock';
import { Errors, StsError } from '../common/errors';
import { OutboundHttp } from '../common/outbound-http';
import { STS_CONFIG, type StsConfig } from '../config/config';
import { parseDurationSeconds } from '../config/duration';
import { KeysetEntity } from '../database/keyset.entity';
import { SigningKeyEntity, type KeyStatus } from '../database/signing-key.entity';
import { isSigningAlgorithm, type SigningAlgorithm } from './algorithms';
import { generateSigningKey } from './key-generator';
import { MasterKeyRing } from './master-key';
import { loadPrivateJwks, type PrivateJwksSource } from './private-jwks';
import type { SigningKey } from './signing-key';

export const DEFAULT_KEYSET = 'default';

export interface KeysetSpec {
  name: string;
  algorithm: SigningAlgorithm;
  rsaBits?: number;
  retain?: number;
}

interface HeldKeyset {
  name: string;
  algorithm: SigningAlgorithm | undefined;
  /** Externally managed (URL) keysets live in memory only. */
  external: boolean;
  /** Sorted: current first, then next, then previous from newest to oldest. */
  keys: SigningKey[];
}

export interface KeysetSummary {
  name: string;
  algorithm: string | undefined;
  external: boolean;
  keys: { kid: string; alg: string; status: KeyStatus; createdAt: number }[];
}

const STATUS_ORDER: Record<KeyStatus, number> = { current: 0, next: 1, previous: 2 };
const DEFAULT_RETAIN = 1;

export class KeysetConflictError extends Error {
  constructor(name: string, stored: string, wanted: string) {
    super(
      `keyset "${name}" is stored with algorithm ${stored} but the configuration asks for ${wanted}; it is never replaced silently — use another name, or delete the stored keyset first`,
    );
    this.name = 'KeysetConflictError';
  }
}

const aadFor = (keysetId: string, kid: string): string => `sts-keyset:${keysetId}:${kid}`;

/**
 * The only holder of private keys: generates, stores (encrypted), loads, rotates and publishes
 * keysets, and keeps externally managed private JWKS in memory.
 */
@Injectable()
export class KeysetService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(KeysetService.name);
  private readonly keysets = new Map<string, HeldKeyset>();
  private readonly rotationListeners: ((keyset: string) => void)[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly locks = new Map<string, Promise<unknown>>();
  private version = 0;
  private readonly verifiers = new WeakMap<SigningKey, CryptoKey>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly masterKeys: MasterKeyRing,
    private readonly http: OutboundHttp,
    @Inject(STS_CONFIG) private readonly config: StsConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.loadStored();
    await this.ensureKeyset({ name: DEFAULT_KEYSET, algorithm: 'RS256' });
    for (const keyset of this.config.file.keysets) {
      if (keyset.jwks_url) {
        await this.registerExternal(
          keyset.name,
          { url: keyset.jwks_url, algorithm: keyset.algorithm },
          parseDurationSeconds(keyset.refresh),
        );
      } else {
        await this.ensureKeyset({
          name: keyset.name,
          algorithm: keyset.algorithm!,
          rsaBits: keyset.rsa_bits,
          retain: keyset.rotation?.retain,
        });
      }
    }
  }

  onModuleDestroy(): void {
    for (const timer of this.timers) clearInterval(timer);
  }

  /** Bumps whenever the set of published keys changes; the JWKS ETag follows it. */
  get publishedVersion(): number {
    return this.version;
  }

  has(name: string): boolean {
    return this.keysets.has(name);
  }

  /** The algorithm of a stored keyset (undefined when unknown or external). */
  algorithmOf(name: string): SigningAlgorithm | undefined {
    return this.keysets.get(name)?.algorithm;
  }

  /** Called with the keyset name after every rotation (caches of minted tokens drop theirs). */
  onRotation(listener: (keyset: string) => void): void {
    this.rotationListeners.push(listener);
  }

  /**
   * The key to sign with: a stored keyset's current key, or for an external set the key with the
   * given `kid` (else the only key of `alg`).
   */
  signingKey(name: string, select: { kid?: string; alg?: SigningAlgorithm } = {}): SigningKey {
    const keyset = this.keysets.get(name);
    if (!keyset) throw Errors.notFound(`keyset "${name}"`);
    const candidates = keyset.keys.filter(
      (k) =>
        k.status === 'current' &&
        (select.kid === undefined || k.kid === select.kid) &&
        (select.alg === undefined || k.alg === select.alg),
    );
    if (candidates.length === 1 || (!keyset.external && candidates.length > 0))
      return candidates[0]!;
    throw new StsError('ERR_SIGNING_KEY_UNAVAILABLE', {
      status: 500,
      error: 'server_error',
      description:
        candidates.length === 0
          ? `keyset "${name}" has no key for ${select.kid ? `kid "${select.kid}"` : (select.alg ?? 'signing')}`
          : `keyset "${name}" holds several ${select.alg ?? ''} keys; set kid to choose one`,
    });
  }

  /** Creates a stored keyset with its first key unless one of that name exists. */
  async ensureKeyset(spec: KeysetSpec): Promise<void> {
    const held = this.keysets.get(spec.name);
    if (held) {
      if (held.algorithm !== spec.algorithm) {
        throw new KeysetConflictError(spec.name, String(held.algorithm), spec.algorithm);
      }
      return;
    }
    await this.serialized(spec.name, async () => {
      if (this.keysets.has(spec.name)) return;
      const generated = await generateSigningKey(spec.algorithm, spec.rsaBits);
      const keyset: KeysetEntity = {
        id: randomUUID(),
        name: spec.name,
        algorithm: spec.algorithm,
        rsaBits: spec.rsaBits ?? null,
        retain: spec.retain ?? DEFAULT_RETAIN,
        createdAt: this.clock.now(),
      };
      await this.dataSource.transaction(async (em) => {
        await em.insert(KeysetEntity, keyset);
        await em.insert(SigningKeyEntity, this.toRow(keyset.id, generated, 'current', 1));
      });
      this.logger.log(`created keyset "${spec.name}" (${spec.algorithm}, kid ${generated.kid})`);
      await this.reload(spec.name);
    });
  }

  /**
   * Manual rotation: a new key becomes current, the old current key is kept as previous (still
   * published, so tokens it signed keep verifying), and previous keys beyond `retain` are dropped.
   */
  async rotate(name: string): Promise<SigningKey> {
    const held = this.keysets.get(name);
    if (!held) throw Errors.notFound(`keyset "${name}"`);
    if (held.external) {
      throw Errors.invalidRequest(
        `keyset "${name}" is managed externally; rotate it at its source`,
      );
    }
    await this.serialized(name, async () => {
      const keyset = await this.dataSource.getRepository(KeysetEntity).findOneByOrFail({ name });
      const generated = await generateSigningKey(
        keyset.algorithm as SigningAlgorithm,
        keyset.rsaBits ?? undefined,
      );
      await this.dataSource.transaction(async (em) => {
        const latest = await em.findOne(SigningKeyEntity, {
          where: { keysetId: keyset.id },
          order: { generation: 'DESC' },
        });
        await em.update(
          SigningKeyEntity,
          { keysetId: keyset.id, status: 'current' },
          { status: 'previous', retiredAt: this.clock.now() },
        );
        await em.insert(
          SigningKeyEntity,
          this.toRow(keyset.id, generated, 'current', (latest?.generation ?? 0) + 1),
        );
        const previous = await em.find(SigningKeyEntity, {
          where: { keysetId: keyset.id, status: 'previous' },
          order: { generation: 'DESC' },
        });
        for (const stale of previous.slice(keyset.retain))
          await em.delete(SigningKeyEntity, { id: stale.id });
      });
      this.logger.log(`rotated keyset "${name}": new kid ${generated.kid}`);
      await this.reload(name);
    });
    for (const listener of this.rotationListeners) listener(name);
    return this.signingKey(name);
  }

  /**
   * Keeps an externally managed private JWKS in memory, refreshed every `refreshSeconds` (a
   * failed refresh keeps the last good keys).
   */
  async registerExternal(
    name: string,
    source: PrivateJwksSource,
    refreshSeconds?: number,
  ): Promise<void> {
    const load = async (): Promise<void> => {
      const keys = await loadPrivateJwks(this.http, source, this.clock.now());
      this.keysets.set(name, { name, algorithm: source.algorithm, external: true, keys });
      this.version++;
    };
    await load();
    if (refreshSeconds && refreshSeconds > 0) {
      const timer = setInterval(() => {
        load().catch((err: Error) =>
          this.logger.warn(
            `refresh of external keyset "${name}" failed, keeping the last keys: ${err.message}`,
          ),
        );
      }, refreshSeconds * 1000);
      timer.unref();
      this.timers.push(timer);
    }
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

  list(): KeysetSummary[] {
    return [...this.keysets.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((set) => ({
        name: set.name,
        algorithm: set.algorithm,
        external: set.external,
        keys: set.keys.map(({ kid, alg, status, createdAt }) => ({ kid, alg, status, createdAt })),
      }));
  }

  private toRow(
    keysetId: string,
    generated: Awaited<ReturnType<typeof generateSigningKey>>,
    status: KeyStatus,
    generation: number,
  ): SigningKeyEntity {
    const { ciphertext, keyId } = this.masterKeys.encrypt(
      JSON.stringify(generated.privateJwk),
      aadFor(keysetId, generated.kid),
    );
    const now = this.clock.now();
    return {
      id: randomUUID(),
      keysetId,
      kid: generated.kid,
      alg: generated.alg,
      status,
      generation,
      publicJwk: generated.publicJwk ? JSON.stringify(generated.publicJwk) : null,
      privateJwkEncrypted: ciphertext,
      masterKeyId: keyId,
      createdAt: now,
      activatedAt: status === 'current' ? now : null,
      retiredAt: null,
    };
  }

  private async loadStored(): Promise<void> {
    const keysets = await this.dataSource.getRepository(KeysetEntity).find();
    for (const keyset of keysets) await this.reload(keyset.name);
  }

  private async reload(name: string): Promise<void> {
    const keyset = await this.dataSource.getRepository(KeysetEntity).findOne({
      where: { name },
      relations: { keys: true },
    });
    if (!keyset) {
      this.keysets.delete(name);
    } else {
      if (!isSigningAlgorithm(keyset.algorithm)) {
        throw new Error(`keyset "${name}" has unsupported algorithm ${keyset.algorithm}`);
      }
      const rows = [...(keyset.keys ?? [])].sort(
        (a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || b.generation - a.generation,
      );
      const keys: SigningKey[] = [];
      for (const row of rows) keys.push(await this.decryptRow(name, keyset.id, row));
      this.keysets.set(name, { name, algorithm: keyset.algorithm, external: false, keys });
    }
    this.version++;
  }

  private async decryptRow(
    keysetName: string,
    keysetId: string,
    row: SigningKeyEntity,
  ): Promise<SigningKey> {
    let privateJwk: JWK;
    try {
      privateJwk = JSON.parse(
        this.masterKeys.decrypt(
          row.privateJwkEncrypted,
          row.masterKeyId,
          aadFor(keysetId, row.kid),
        ),
      ) as JWK;
    } catch (err) {
      throw new Error(
        `cannot load keyset "${keysetName}" key ${row.kid}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const alg = row.alg as SigningAlgorithm;
    return {
      kid: row.kid,
      alg,
      key: await importJWK(privateJwk, alg),
      publicJwk: row.publicJwk ? (JSON.parse(row.publicJwk) as JWK) : undefined,
      status: row.status,
      createdAt: row.createdAt,
    };
  }

  /** One change at a time per keyset within this process. */
  private async serialized<T>(name: string, work: () => Promise<T>): Promise<T> {
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
