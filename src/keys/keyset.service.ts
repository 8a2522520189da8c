import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { CLOCK, type Clock } from '../common/clock';
import { Errors } from '../common/errors';
import type { SigningAlgorithm } from '../config/algorithms';
import { STS_CONFIG, type StsConfig } from '../config/config';
import { parseDurationSeconds } from '../config/duration';
import {
  DEFAULT_ROTATION,
  rotationProblem,
  toRotationSettings,
  type RotationInput,
  type RotationSettings,
} from '../config/rotation';
import type { ManagedBy } from '../database/columns';
import { KeysetEntity } from '../database/keyset.entity';
import { AuditLog } from '../logging/audit-log';
import { ExternalKeysets } from './external-keysets';
import { generateSigningKey } from './key-generator';
import {
  DEFAULT_KEYSET,
  KeyRegistry,
  type KeysetDescription,
  type StoredOrigin,
} from './key-registry';
import { KeysetRotation } from './keyset-rotation';
import { KeysetStore } from './keyset.store';
import { StoredKeysets } from './stored-keysets';

/** How long a JWKS request waits for the shared store before answering from memory. */
const SYNC_WAIT_MS = 1000;

export interface KeysetSpec {
  name: string;
  algorithm: SigningAlgorithm;
  rsaBits?: number | null;
  rotation?: RotationSettings;
}

export interface KeysetUpdate {
  rsaBits?: number | null;
  rotation?: RotationInput;
}

/** Names what still uses a keyset (e.g. `signer "krakend"`), so it is not deleted from under it. */
export type KeysetReferenceCheck = (keyset: string) => string[];

export class KeysetConflictError extends Error {
  constructor(name: string, stored: string, wanted: string) {
    super(
      `keyset "${name}" is stored with algorithm ${stored} but the configuration asks for ${wanted}; it is never replaced silently — use another name, or delete the stored keyset first`,
    );
    this.name = 'KeysetConflictError';
  }
}

/**
 * Stored keysets: the file's applied at boot (created when missing, settings brought to the
 * file's; those it wrote and no longer declares retired), the admin API's create, update and
 * delete, and `sync` with what other instances sharing the database did. Private keys reach the database only sealed (KeysetStore); reads go through
 * KeyRegistry, rotation through KeysetRotation.
 */
@Injectable()
export class KeysetService implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger(KeysetService.name);
  private readonly referenceChecks: KeysetReferenceCheck[] = [];
  /** The sync a reader arriving now waits for: one that starts after it arrived. */
  private nextSync: Promise<void> | undefined;
  private runningSync: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: KeysetStore,
    private readonly stored: StoredKeysets,
    private readonly registry: KeyRegistry,
    private readonly rotation: KeysetRotation,
    private readonly external: ExternalKeysets,
    private readonly audit: AuditLog,
    @Inject(STS_CONFIG) private readonly config: StsConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    for (const name of (await this.store.revisions()).keys()) {
      await this.stored.reload(name);
      await this.rotation.replaceDamaged(name);
    }
    await this.ensureKeyset({ name: DEFAULT_KEYSET, algorithm: 'RS256' });
    for (const keyset of this.config.file.keysets) {
      if (keyset.jwks_url) {
        if (this.registry.has(keyset.name)) {
          throw new Error(
            `keyset "${keyset.name}" is declared with jwks_url but a stored keyset has that name; rename one of them`,
          );
        }
        await this.external.register(
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

  /**
   * Once every module applied its part of the file and registered its reference checks: stored
   * keysets the file wrote and no longer declares are retired, unless something signs with them.
   */
  async onApplicationBootstrap(): Promise<void> {
    const declared = new Set(this.config.file.keysets.map((keyset) => keyset.name));
    const undeclared = this.registry
      .all()
      .filter(
        ({ name, origin }) =>
          origin.kind === 'stored' &&
          origin.managedBy === 'file' &&
          origin.retiredAt === null &&
          name !== DEFAULT_KEYSET &&
          !declared.has(name),
      );
    await this.audit.removeUndeclared(
      'keyset',
      undeclared.map(({ name }) => ({
        name,
        usedBy: this.usersOf(name),
        remove: () => this.rotation.retire(name),
      })),
      'retire',
    );
  }

  /** Deleting or retiring a keyset is refused while a check names a user of it. */
  addReferenceCheck(check: KeysetReferenceCheck): void {
    this.referenceChecks.push(check);
  }

  /**
   * Creates a stored keyset with its first key unless one of that name exists; a retired one
   * signs again.
   */
  async ensureKeyset(spec: KeysetSpec, managedBy: ManagedBy = 'api'): Promise<void> {
    const held = this.registry.get(spec.name);
    if (held) {
      if (held.algorithm !== spec.algorithm) {
        throw new KeysetConflictError(spec.name, String(held.algorithm), spec.algorithm);
      }
      if (!this.registry.canSign(spec.name)) await this.rotation.revive(spec.name, managedBy);
      return;
    }
    await this.stored.serialized(spec.name, async () => {
      if (!this.registry.has(spec.name)) await this.insertKeyset(spec, managedBy);
    });
  }

  /**
   * A keyset declared in the file: created when missing (signing again when retired), its
   * settings brought to the file's, marked as the file's.
   */
  private async applyDeclared(spec: KeysetSpec): Promise<void> {
    await this.ensureKeyset(spec, 'file');
    const origin = this.registry.get(spec.name)!.origin as StoredOrigin;
    const rotation = spec.rotation ?? DEFAULT_ROTATION;
    const rsaBits = spec.rsaBits ?? null;
    if (
      origin.managedBy === 'file' &&
      origin.rsaBits === rsaBits &&
      sameSettings(origin.rotation, rotation)
    )
      return;
    await this.writeSettings(spec.name, rsaBits, rotation, 'file');
  }

  /** A new stored keyset (admin API); 409 when the name is taken. */
  async create(spec: KeysetSpec): Promise<KeysetDescription> {
    const problem = spec.rotation ? rotationProblem(spec.rotation) : null;
    if (problem) throw Errors.invalidRequest(`rotation.${problem.field}: ${problem.message}`);
    await this.stored.serialized(spec.name, async () => {
      if (this.registry.has(spec.name)) throw Errors.conflict(`keyset "${spec.name}" exists`);
      await this.insertKeyset(spec, 'api');
    });
    return this.registry.describe(spec.name);
  }

  /** Changes rotation settings or the RSA size of future keys; the algorithm never changes. */
  async update(name: string, update: KeysetUpdate): Promise<KeysetDescription> {
    const origin = this.stored.origin(name);
    const rotation = toRotationSettings(update.rotation, origin.rotation);
    const problem = rotationProblem(rotation);
    if (problem) throw Errors.invalidRequest(`rotation.${problem.field}: ${problem.message}`);
    await this.writeSettings(
      name,
      update.rsaBits === undefined ? origin.rsaBits : update.rsaBits,
      rotation,
      origin.managedBy,
    );
    return this.registry.describe(name);
  }

  /** Deletes a stored keyset and its keys. `default` and keysets still in use are refused. */
  async delete(name: string): Promise<void> {
    this.stored.origin(name);
    if (name === DEFAULT_KEYSET) {
      throw Errors.conflict(
        `keyset "${DEFAULT_KEYSET}" signs for every signer without a keyset and is recreated at start-up; it cannot be deleted`,
      );
    }
    const users = this.usersOf(name);
    if (users.length > 0) throw Errors.conflict(`keyset "${name}" is used by ${users.join(', ')}`);
    await this.stored.serialized(name, () =>
      this.stored.changeLocked(name, ({ keyset }) => this.store.delete(keyset)),
    );
    this.logger.log(`deleted keyset "${name}"`);
  }

  /**
   * Brings memory in line with the database: keysets another instance created, changed (its
   * revision moved) or deleted are reloaded or dropped.
   */
  async sync(): Promise<void> {
    const revisions = await this.store.revisions();
    for (const [name, revision] of revisions) {
      const held = this.registry.get(name);
      if (held?.origin.kind === 'stored' && held.origin.revision === revision) continue;
      if (held?.origin.kind === 'external') continue;
      await this.stored.serialized(name, () => this.stored.reload(name));
    }
    for (const held of this.registry.all()) {
      if (held.origin.kind === 'stored' && !revisions.has(held.name))
        await this.stored.serialized(held.name, () => this.stored.reload(held.name));
    }
  }

  /**
   * What readers of published keys (the JWKS) wait for on a shared store: another instance may
   * have just created a keyset (on a profile's first use, through its admin API) and signed with
   * it, and a verifier fetching our JWKS next must find that key. Waits for a sync that started
   * after the call (callers meanwhile share it), at most SYNC_WAIT_MS: a store that does not
   * answer leaves the keys held in memory, which are served.
   */
  async syncForReaders(): Promise<void> {
    if (!this.store.sharedByInstances) return;
    this.nextSync ??= this.runningSync.then(() => {
      this.nextSync = undefined;
      this.runningSync = this.sync().catch((err: Error) =>
        this.logger.warn(`serving the keys held in memory: keyset sync failed: ${err.message}`),
      );
      return this.runningSync;
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.nextSync,
      new Promise((resolve) => (timer = setTimeout(resolve, SYNC_WAIT_MS))),
    ]).finally(() => clearTimeout(timer));
  }

  private usersOf(keyset: string): string[] {
    return this.referenceChecks.flatMap((check) => check(keyset));
  }

  private async insertKeyset(spec: KeysetSpec, managedBy: ManagedBy): Promise<void> {
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
      managedBy,
      retiredAt: null,
    };
    try {
      await this.store.create(keyset, generated);
      this.logger.log(`created keyset "${spec.name}" (${spec.algorithm}, kid ${generated.kid})`);
    } catch (err) {
      // Another instance sharing the database may have created it first; theirs stands.
      if (!(err instanceof QueryFailedError) || !(await this.store.read(spec.name))) throw err;
    }
    await this.stored.reload(spec.name);
    const held = this.registry.get(spec.name)!;
    if (held.algorithm !== spec.algorithm)
      throw new KeysetConflictError(spec.name, String(held.algorithm), spec.algorithm);
  }

  private async writeSettings(
    name: string,
    rsaBits: number | null,
    rotation: RotationSettings,
    managedBy: ManagedBy,
  ): Promise<void> {
    await this.stored.serialized(name, async () => {
      await this.stored.changeLocked(name, ({ keyset }) =>
        this.store.change(keyset, (em) =>
          em.update(
            KeysetEntity,
            { id: keyset.id },
            {
              rsaBits,
              retain: rotation.retain,
              rotationPeriod: rotation.periodSeconds,
              prepublish: rotation.prepublishSeconds,
              maxTokenLifetime: rotation.maxTokenLifetimeSeconds,
              managedBy,
            },
          ),
        ),
      );
      // New settings may make a step due now (a shorter period, a smaller retain).
      await this.rotation.applyDueLocked(name);
    });
  }
}

const sameSettings = (a: RotationSettings, b: RotationSettings): boolean =>
  a.retain === b.retain &&
  a.periodSeconds === b.periodSeconds &&
  a.prepublishSeconds === b.prepublishSeconds &&
  a.maxTokenLifetimeSeconds === b.maxTokenLifetimeSeconds;
