import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { importJWK, type JWK } from 'jose';
import { QueryFailedError } from 'typeorm';
import { CLOCK, type Clock } from '../common/clock';
import { Errors, StsError } from '../common/errors';
import { OutboundHttp } from '../common/outbound-http';
import { STS_CONFIG, type StsConfig } from '../config/config';
import { parseDurationSeconds } from '../config/duration';
import { KeysetEntity } from '../database/keyset.entity';
import { SigningKeyEntity, type KeyStatus } from '../database/signing-key.entity';
import { isSigningAlgorithm, type SigningAlgorithm } from '../config/algorithms';
import { generateSigningKey } from './key-generator';
import { KeysetStore, RevisionConflict, type StoredKeyset } from './keyset.store';
import { loadPrivateJwks, type PrivateJwksSource } from './private-jwks';
import {
  DEFAULT_ROTATION,
  rotationProblem,
  toRotationSettings,
  type RotationInput,
  type RotationSettings,
} from '../config/rotation';
import {
  dueStep,
  retentionEndsAt,
  scheduledRotationAt,
  type RotationStep,
} from './rotation-policy';
import type { SigningKey } from './signing-key';

export const DEFAULT_KEYSET = 'default';

export interface KeysetSpec {
  name: string;
  algorithm: SigningAlgorithm;
  rsaBits?: number | null;
  rotation?: RotationSettings;
}

/** A key in memory with its place in the keyset's timeline. */
export interface HeldKey extends SigningKey {
  readonly generation: number;
  /** current: when it started signing; next: when it will. */
  readonly activeFrom: number | null;
  readonly retiredAt: number | null;
}

interface StoredOrigin {
  kind: 'stored';
  id: string;
  revision: number;
  rsaBits: number | null;
  rotation: RotationSettings;
}

interface ExternalOrigin {
  kind: 'external';
  source: PrivateJwksSource;
  refreshSeconds: number | undefined;
  /** false for the private key sets of KrakenD signers' `jwk-url`, which belong to the signer. */
  listed: boolean;
}

interface HeldKeyset {
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
    rsaBits: number | null;
    rotation: RotationSettings;
    scheduledRotationAt: number | null;
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

export interface KeysetUpdate {
  rsaBits?: number | null;
  rotation?: RotationInput;
}

/** Names what still uses a keyset (e.g. `signer "krakend"`), so it is not deleted from under it. */
export type KeysetReferenceCheck = (keyset: string) => string[];

export interface KeySelection {
  kid?: string;
  alg?: SigningAlgorithm;
}

function selectSigningKey(keyset: HeldKeyset, select: KeySelection): HeldKey {
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

const STATUS_ORDER: Record<KeyStatus, number> = { current: 0, next: 1, previous: 2 };
const CONFLICT_ATTEMPTS = 3;
/** Bounds the steps one pass applies (promote, prepublish, prune) after a long downtime. */
const MAX_STEPS_PER_PASS = 5;

export class KeysetConflictError extends Error {
  constructor(name: string, stored: string, wanted: string) {
    super(
      `keyset "${name}" is stored with algorithm ${stored} but the configuration asks for ${wanted}; it is never replaced silently — use another name, or delete the stored keyset first`,
    );
    this.name = 'KeysetConflictError';
  }
}

const externallyManaged = (name: string): StsError =>
  Errors.invalidRequest(
    `keyset "${name}" is managed externally (jwks_url); change it at its source`,
  );

/**
 * The only holder of private keys: generates, stores (encrypted, through KeysetStore), loads,
 * rotates and publishes keysets, and keeps externally managed private JWKS in memory.
 *
 * Rotation follows `rotation-policy.ts`: a next key is published `prepublish` before it signs,
 * retired keys stay published for `retain` generations or until every token they signed has
 * expired. Scheduled steps run when RotationScheduler ticks; a manual rotation takes the same
 * path. Several instances may share one database: the stored revision decides who applies a step,
 * and `sync()` picks up what the others did.
 */
@Injectable()
export class KeysetService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(KeysetService.name);
  private readonly keysets = new Map<string, HeldKeyset>();
  private readonly rotationListeners: ((keyset: string) => void)[] = [];
  private readonly referenceChecks: KeysetReferenceCheck[] = [];
  private readonly refreshTimers = new Map<string, NodeJS.Timeout>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private version = 0;
  private readonly verifiers = new WeakMap<SigningKey, CryptoKey>();

  constructor(
    private readonly store: KeysetStore,
    private readonly http: OutboundHttp,
    @Inject(STS_CONFIG) private readonly config: StsConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    for (const name of (await this.store.revisions()).keys()) await this.reload(name);
    await this.ensureKeyset({ name: DEFAULT_KEYSET, algorithm: 'RS256' });
    for (const keyset of this.config.file.keysets) {
      if (keyset.jwks_url) {
        if (this.keysets.has(keyset.name)) {
          throw new Error(
            `keyset "${keyset.name}" is declared with jwks_url but a stored keyset has that name; rename one of them`,
          );
        }
        await this.registerExternal(
          keyset.name,
          { url: keyset.jwks_url, algorithm: keyset.algorithm },
          parseDurationSeconds(keyset.refresh),
        );
      } else {
        await this.applyDeclared({
          name: keyset.name,
          algorithm: keyset.algorithm!,
          rsaBits: keyset.rsa_bits ?? null,
          rotation: toRotationSettings(keyset.rotation),
        });
      }
    }
  }

  onModuleDestroy(): void {
    for (const timer of this.refreshTimers.values()) clearInterval(timer);
    this.refreshTimers.clear();
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

  /**
   * Called with the keyset name whenever its current key changes: a rotation here, one applied
   * by another instance (seen by `sync`), or a new key at an external source. Caches of minted
   * tokens drop theirs.
   */
  onRotation(listener: (keyset: string) => void): void {
    this.rotationListeners.push(listener);
  }

  /** Deleting a keyset is refused while a check names a user of it. */
  addReferenceCheck(check: KeysetReferenceCheck): void {
    this.referenceChecks.push(check);
  }

  /**
   * The key to sign with: a stored keyset's current key, or for an external set the key with the
   * given `kid` (else the only key of `alg`).
   */
  signingKey(name: string, select: KeySelection = {}): HeldKey {
    const keyset = this.keysets.get(name);
    if (!keyset) throw Errors.notFound(`keyset "${name}"`);
    return selectSigningKey(keyset, select);
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
      if (!this.keysets.has(spec.name)) await this.insertKeyset(spec);
    });
  }

  /** A keyset declared in the file: created when missing, its settings brought to the file's. */
  private async applyDeclared(spec: KeysetSpec): Promise<void> {
    await this.ensureKeyset(spec);
    const origin = this.keysets.get(spec.name)!.origin as StoredOrigin;
    const rotation = spec.rotation ?? DEFAULT_ROTATION;
    const rsaBits = spec.rsaBits ?? null;
    if (origin.rsaBits === rsaBits && sameSettings(origin.rotation, rotation)) return;
    await this.writeSettings(spec.name, rsaBits, rotation);
  }

  /** A new stored keyset (admin API); 409 when the name is taken. */
  async create(spec: KeysetSpec): Promise<KeysetDescription> {
    const problem = spec.rotation ? rotationProblem(spec.rotation) : null;
    if (problem) throw Errors.invalidRequest(`rotation.${problem.field}: ${problem.message}`);
    await this.serialized(spec.name, async () => {
      if (this.keysets.has(spec.name)) throw Errors.conflict(`keyset "${spec.name}" exists`);
      await this.insertKeyset(spec);
    });
    return this.describe(spec.name);
  }

  /** Changes rotation settings or the RSA size of future keys; the algorithm never changes. */
  async update(name: string, update: KeysetUpdate): Promise<KeysetDescription> {
    const origin = this.storedOrigin(name);
    const rotation = toRotationSettings(update.rotation, origin.rotation);
    const problem = rotationProblem(rotation);
    if (problem) throw Errors.invalidRequest(`rotation.${problem.field}: ${problem.message}`);
    await this.writeSettings(
      name,
      update.rsaBits === undefined ? origin.rsaBits : update.rsaBits,
      rotation,
    );
    return this.describe(name);
  }

  /** Deletes a stored keyset and its keys. `default` and keysets still in use are refused. */
  async delete(name: string): Promise<void> {
    this.storedOrigin(name);
    if (name === DEFAULT_KEYSET) {
      throw Errors.conflict(
        `keyset "${DEFAULT_KEYSET}" signs for every signer without a keyset and is recreated at start-up; it cannot be deleted`,
      );
    }
    const users = this.referenceChecks.flatMap((check) => check(name));
    if (users.length > 0) throw Errors.conflict(`keyset "${name}" is used by ${users.join(', ')}`);
    await this.serialized(name, () =>
      this.retrying(name, async () => {
        const stored = await this.readOrNotFound(name);
        try {
          await this.store.delete(stored.keyset);
        } finally {
          await this.reload(name);
        }
      }),
    );
    this.logger.log(`deleted keyset "${name}"`);
  }

  /**
   * Manual rotation, through the scheduled path: the next key (the pending one if any, else a new
   * one) is scheduled to start signing `prepublishSeconds` from now — at once when 0 — and the
   * due steps are applied. Returns the key that signs from then on.
   */
  async rotate(name: string, options: { prepublishSeconds?: number } = {}): Promise<HeldKey> {
    this.storedOrigin(name);
    const kid = await this.serialized(name, async () => {
      const scheduled = await this.retrying(name, async () => {
        const { keyset, keys } = await this.readOrNotFound(name);
        const activeFrom = this.clock.now() + (options.prepublishSeconds ?? 0) * 1000;
        const pending = keys.find((k) => k.status === 'next');
        try {
          if (pending) {
            await this.store.change(keyset, (em) =>
              em.update(SigningKeyEntity, { id: pending.id }, { activatedAt: activeFrom }),
            );
            return pending.kid;
          }
          return await this.publishNext(keyset, keys, activeFrom);
        } finally {
          await this.reload(name);
        }
      });
      await this.applyDueLocked(name);
      return scheduled;
    });
    const key = this.keysets.get(name)?.keys.find((k) => k.kid === kid);
    if (!key) throw Errors.conflict(`keyset "${name}" changed during the rotation; try again`);
    return key;
  }

  /**
   * Applies every due rotation step of every stored keyset (the scheduler's work). Memory was
   * just synced, so it tells cheaply which keysets have something due; only those are re-read
   * from the database, which decides.
   */
  async applyAllDue(): Promise<void> {
    const now = this.clock.now();
    for (const held of [...this.keysets.values()]) {
      if (held.origin.kind !== 'stored' || !dueStep(held.keys, held.origin.rotation, now)) continue;
      try {
        await this.serialized(held.name, () => this.applyDueLocked(held.name));
      } catch (err) {
        this.logger.error(
          `rotation step for keyset "${held.name}" failed, retrying on the next tick: ${(err as Error).message}`,
        );
      }
    }
  }

  /**
   * Brings memory in line with the database: keysets another instance created, changed (its
   * revision moved) or deleted are reloaded or dropped.
   */
  async sync(): Promise<void> {
    const revisions = await this.store.revisions();
    for (const [name, revision] of revisions) {
      const held = this.keysets.get(name);
      if (held?.origin.kind === 'stored' && held.origin.revision === revision) continue;
      if (held?.origin.kind === 'external') continue;
      await this.serialized(name, () => this.reload(name));
    }
    for (const held of [...this.keysets.values()]) {
      if (held.origin.kind === 'stored' && !revisions.has(held.name))
        await this.serialized(held.name, () => this.reload(held.name));
    }
  }

  /**
   * Keeps an externally managed private JWKS in memory, refreshed every `refreshSeconds` (a
   * failed refresh keeps the last good keys). Registering a name again replaces it — but only
   * once the new set loads and holds a key for `require`, so a bad change leaves the old one.
   */
  async registerExternal(
    name: string,
    source: PrivateJwksSource,
    refreshSeconds?: number,
    options: { listed?: boolean; require?: KeySelection } = {},
  ): Promise<void> {
    const load = async (): Promise<void> => {
      const loaded = await loadPrivateJwks(this.http, source, this.clock.now());
      const keyset: HeldKeyset = {
        name,
        algorithm: source.algorithm,
        origin: { kind: 'external', source, refreshSeconds, listed: options.listed ?? true },
        keys: loaded.map((key) => ({
          ...key,
          generation: 0,
          activeFrom: key.createdAt,
          retiredAt: null,
        })),
      };
      if (options.require) selectSigningKey(keyset, options.require);
      this.hold(keyset);
    };
    await load();
    this.stopRefresh(name);
    if (refreshSeconds && refreshSeconds > 0) {
      const timer = setInterval(() => {
        load().catch((err: Error) =>
          this.logger.warn(
            `refresh of external keyset "${name}" failed, keeping the last keys: ${err.message}`,
          ),
        );
      }, refreshSeconds * 1000);
      timer.unref();
      this.refreshTimers.set(name, timer);
    }
  }

  /** Forgets an external key set (its signer was deleted or no longer uses it). */
  unregisterExternal(name: string): void {
    if (this.keysets.get(name)?.origin.kind !== 'external') return;
    this.stopRefresh(name);
    this.keysets.delete(name);
    this.version++;
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
      .filter((set) => set.origin.kind === 'stored' || set.origin.listed)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((set) => describeHeld(set));
  }

  describe(name: string): KeysetDescription {
    const held = this.keysets.get(name);
    if (!held || (held.origin.kind === 'external' && !held.origin.listed))
      throw Errors.notFound(`keyset "${name}"`);
    return describeHeld(held);
  }

  private storedOrigin(name: string): StoredOrigin {
    const held = this.keysets.get(name);
    if (!held || (held.origin.kind === 'external' && !held.origin.listed))
      throw Errors.notFound(`keyset "${name}"`);
    if (held.origin.kind === 'external') throw externallyManaged(name);
    return held.origin;
  }

  private async insertKeyset(spec: KeysetSpec): Promise<void> {
    const generated = await generateSigningKey(spec.algorithm, spec.rsaBits ?? undefined);
    const rotation = spec.rotation ?? DEFAULT_ROTATION;
    const keyset: KeysetEntity = {
      id: randomUUID(),
      name: spec.name,
      algorithm: spec.algorithm,
      rsaBits: spec.rsaBits ?? null,
      retain: rotation.retain,
      rotationPeriod: rotation.periodSeconds,
      prepublish: rotation.prepublishSeconds,
      maxTokenLifetime: rotation.maxTokenLifetimeSeconds,
      revision: 0,
      createdAt: this.clock.now(),
    };
    try {
      await this.store.create(keyset, generated);
      this.logger.log(`created keyset "${spec.name}" (${spec.algorithm}, kid ${generated.kid})`);
    } catch (err) {
      // Another instance sharing the database may have created it first; theirs stands.
      if (!(err instanceof QueryFailedError) || !(await this.store.read(spec.name))) throw err;
    }
    await this.reload(spec.name);
    const held = this.keysets.get(spec.name)!;
    if (held.algorithm !== spec.algorithm)
      throw new KeysetConflictError(spec.name, String(held.algorithm), spec.algorithm);
  }

  private async writeSettings(
    name: string,
    rsaBits: number | null,
    rotation: RotationSettings,
  ): Promise<void> {
    await this.serialized(name, async () => {
      await this.retrying(name, async () => {
        const { keyset } = await this.readOrNotFound(name);
        try {
          await this.store.change(keyset, async (em) => {
            await em.update(
              KeysetEntity,
              { id: keyset.id },
              {
                rsaBits,
                retain: rotation.retain,
                rotationPeriod: rotation.periodSeconds,
                prepublish: rotation.prepublishSeconds,
                maxTokenLifetime: rotation.maxTokenLifetimeSeconds,
              },
            );
          });
        } finally {
          await this.reload(name);
        }
      });
      // New settings may make a step due now (a shorter period, a smaller retain).
      await this.applyDueLocked(name);
    });
  }

  /** Applies due steps until the keyset is up to date; caller holds the keyset's lock. */
  private async applyDueLocked(name: string): Promise<void> {
    for (let step = 0; step < MAX_STEPS_PER_PASS; step++) {
      const stored = await this.store.read(name);
      if (!stored) return this.reload(name);
      const due = dueStep(stored.keys.map(timelineOf), settingsOf(stored.keyset), this.clock.now());
      if (!due) return;
      let conflict = false;
      try {
        await this.applyStep(stored, due);
      } catch (err) {
        // Another instance applied a step first; the next pass starts from what it wrote.
        if (!(err instanceof RevisionConflict)) throw err;
        conflict = true;
      } finally {
        await this.reload(name);
      }
      if (conflict) return;
    }
  }

  private async applyStep({ keyset, keys }: StoredKeyset, step: RotationStep): Promise<void> {
    const now = this.clock.now();
    if (step.kind === 'promote') {
      await this.store.change(keyset, async (em) => {
        await em.update(
          SigningKeyEntity,
          { keysetId: keyset.id, status: 'current' },
          { status: 'previous', retiredAt: now },
        );
        await em.update(
          SigningKeyEntity,
          { keysetId: keyset.id, kid: step.kid },
          { status: 'current', activatedAt: now },
        );
      });
      this.logger.log(`rotated keyset "${keyset.name}": kid ${step.kid} signs from now on`);
    } else if (step.kind === 'prepublish') {
      const kid = await this.publishNext(keyset, keys, step.activeFrom);
      this.logger.log(
        `published the next key of keyset "${keyset.name}" (kid ${kid}); it signs from ${new Date(step.activeFrom).toISOString()}`,
      );
    } else {
      await this.store.change(keyset, async (em) => {
        for (const kid of step.kids)
          await em.delete(SigningKeyEntity, { keysetId: keyset.id, kid });
      });
      this.logger.log(
        `unpublished retired keys of keyset "${keyset.name}": ${step.kids.join(', ')}`,
      );
    }
  }

  /** Generates a key and stores it as the keyset's `next`, to sign from `activeFrom`. */
  private async publishNext(
    keyset: KeysetEntity,
    keys: SigningKeyEntity[],
    activeFrom: number,
  ): Promise<string> {
    if (!isSigningAlgorithm(keyset.algorithm))
      throw new Error(`keyset "${keyset.name}" has unsupported algorithm ${keyset.algorithm}`);
    const generated = await generateSigningKey(keyset.algorithm, keyset.rsaBits ?? undefined);
    const generation = Math.max(0, ...keys.map((k) => k.generation)) + 1;
    await this.store.change(keyset, (em) =>
      em.insert(
        SigningKeyEntity,
        this.store.sealedRow(keyset.id, generated, 'next', generation, activeFrom),
      ),
    );
    return generated.kid;
  }

  private async readOrNotFound(name: string): Promise<StoredKeyset> {
    const stored = await this.store.read(name);
    if (stored) return stored;
    await this.reload(name);
    throw Errors.notFound(`keyset "${name}"`);
  }

  /** Replaces the in-memory copy of a stored keyset with the database's (or drops it). */
  private async reload(name: string): Promise<void> {
    const stored = await this.store.read(name);
    const before = this.keysets.get(name);
    if (!stored) {
      if (before?.origin.kind === 'stored') {
        this.keysets.delete(name);
        this.version++;
      }
      return;
    }
    const { keyset, keys: rows } = stored;
    if (!isSigningAlgorithm(keyset.algorithm)) {
      throw new Error(`keyset "${name}" has unsupported algorithm ${keyset.algorithm}`);
    }
    const known = new Map((before?.keys ?? []).map((k) => [k.kid, k]));
    const keys: HeldKey[] = [];
    for (const row of [...rows].sort(
      (a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || b.generation - a.generation,
    )) {
      // A key already in memory is not unsealed again: only its place in the timeline moves.
      const held = known.get(row.kid);
      keys.push({
        kid: row.kid,
        alg: row.alg as SigningAlgorithm,
        key: held?.key ?? (await importJWK(this.store.unseal(name, row), row.alg)),
        publicJwk:
          held?.publicJwk ?? (row.publicJwk ? (JSON.parse(row.publicJwk) as JWK) : undefined),
        status: row.status,
        createdAt: row.createdAt,
        generation: row.generation,
        activeFrom: row.activatedAt,
        retiredAt: row.retiredAt,
      });
    }
    this.hold({
      name,
      algorithm: keyset.algorithm,
      origin: {
        kind: 'stored',
        id: keyset.id,
        revision: keyset.revision,
        rsaBits: keyset.rsaBits,
        rotation: settingsOf(keyset),
      },
      keys,
    });
  }

  private hold(keyset: HeldKeyset): void {
    const before = this.keysets.get(keyset.name);
    this.keysets.set(keyset.name, keyset);
    this.version++;
    const currentKid = (set: HeldKeyset | undefined) =>
      set?.keys.find((k) => k.status === 'current')?.kid;
    if (before && currentKid(before) !== currentKid(keyset)) {
      for (const listener of this.rotationListeners) listener(keyset.name);
    }
  }

  private stopRefresh(name: string): void {
    clearInterval(this.refreshTimers.get(name));
    this.refreshTimers.delete(name);
  }

  /** Retries work that lost a revision race (the memory copy is reloaded in between). */
  private async retrying<T>(name: string, work: () => Promise<T>): Promise<T> {
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

const settingsOf = (keyset: KeysetEntity): RotationSettings => ({
  retain: keyset.retain,
  periodSeconds: keyset.rotationPeriod,
  prepublishSeconds: keyset.prepublish,
  maxTokenLifetimeSeconds: keyset.maxTokenLifetime,
});

const timelineOf = (row: SigningKeyEntity) => ({
  kid: row.kid,
  status: row.status,
  generation: row.generation,
  activeFrom: row.activatedAt,
  retiredAt: row.retiredAt,
});

const sameSettings = (a: RotationSettings, b: RotationSettings): boolean =>
  a.retain === b.retain &&
  a.periodSeconds === b.periodSeconds &&
  a.prepublishSeconds === b.prepublishSeconds &&
  a.maxTokenLifetimeSeconds === b.maxTokenLifetimeSeconds;

function describeHeld(set: HeldKeyset): KeysetDescription {
  const { origin } = set;
  return {
    name: set.name,
    algorithm: set.algorithm,
    ...(origin.kind === 'stored'
      ? {
          stored: {
            rsaBits: origin.rsaBits,
            rotation: origin.rotation,
            scheduledRotationAt: scheduledRotationAt(set.keys, origin.rotation),
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
