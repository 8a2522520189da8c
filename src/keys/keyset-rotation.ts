import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock';
import { Errors } from '../common/errors';
import { isSigningAlgorithm } from '../config/algorithms';
import type { ManagedBy } from '../database/columns';
import { KeysetEntity } from '../database/keyset.entity';
import type { RotationSettings } from '../config/rotation';
import { SigningKeyEntity } from '../database/signing-key.entity';
import { generateSigningKey } from './key-generator';
import { KeyRegistry, type HeldKey } from './key-registry';
import { KeysetStore, RevisionConflict, type StoredKeyset } from './keyset.store';
import { dueStep, SHARED_STORE_PREPUBLISH_SECONDS, type RotationStep } from './rotation-policy';
import { settingsOf, StoredKeysets } from './stored-keysets';

/** Bounds the steps one pass applies (promote, prepublish, prune) after a long downtime. */
const MAX_STEPS_PER_PASS = 5;

const timelineOf = (row: SigningKeyEntity) => ({
  kid: row.kid,
  status: row.status,
  generation: row.generation,
  activeFrom: row.activatedAt,
  retiredAt: row.retiredAt,
});

/**
 * Rotation of stored keysets, following `rotation-policy.ts`: a next key is published
 * `prepublish` before it signs, retired keys stay published for `retain` generations or until
 * every token they signed has expired. Scheduled steps run when RotationScheduler ticks; a manual
 * rotation takes the same path. Several instances may share one database: the stored revision
 * decides who applies a step, and on such a store (PostgreSQL) no key signs before every instance
 * can have published it (SHARED_STORE_PREPUBLISH_SECONDS), an "immediate" rotation included.
 * A keyset the file stopped declaring is retired whole: no key signs, all stay published until
 * their tokens have expired, then the keyset goes.
 */
@Injectable()
export class KeysetRotation {
  private readonly logger = new Logger(KeysetRotation.name);

  constructor(
    private readonly store: KeysetStore,
    private readonly stored: StoredKeysets,
    private readonly registry: KeyRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Manual rotation, through the scheduled path: the next key (the pending one if any, else a new
   * one) is scheduled to start signing `prepublishSeconds` from now — at once when 0, unless
   * instances share the store and the key was published less than the minimum before — and the
   * due steps are applied. Returns the key that signs from then on (status `next` until then).
   */
  async rotate(name: string, options: { prepublishSeconds?: number } = {}): Promise<HeldKey> {
    if (this.stored.origin(name).retiredAt !== null)
      throw Errors.conflict(
        `keyset "${name}" is retired: the configuration file no longer declares it`,
      );
    const kid = await this.stored.serialized(name, async () => {
      const scheduled = await this.stored.changeLocked(name, async ({ keyset, keys }) => {
        const now = this.clock.now();
        const pending = keys.find((k) => k.status === 'next');
        const activeFrom = Math.max(
          now + (options.prepublishSeconds ?? 0) * 1000,
          (pending?.createdAt ?? now) + this.minimumPrepublishSeconds * 1000,
        );
        if (pending) {
          await this.store.change(keyset, (em) =>
            em.update(SigningKeyEntity, { id: pending.id }, { activatedAt: activeFrom }),
          );
          return pending.kid;
        }
        return this.publishNext(keyset, keys, activeFrom);
      });
      await this.applyDueLocked(name);
      return scheduled;
    });
    const key = this.registry.get(name)?.keys.find((k) => k.kid === kid);
    if (!key) throw Errors.conflict(`keyset "${name}" changed during the rotation; try again`);
    return key;
  }

  /**
   * A keyset whose current key's record is damaged (StoredKeysets leaves it out) signs nothing:
   * a new key is rotated in the usual way (at once on SQLite, after the shared-store minimum on
   * PostgreSQL). A damaged pending key signed nothing and is deleted, so it is never promoted.
   */
  async replaceDamaged(name: string): Promise<void> {
    const damaged = this.stored.unloadableKeys(name);
    if (![...damaged.values()].some((status) => status !== 'previous')) return;
    const rotate = await this.stored.serialized(name, () =>
      this.stored.changeLocked(name, async ({ keyset, keys }) => {
        const pending = keys.filter((k) => k.status === 'next' && damaged.has(k.kid));
        if (pending.length > 0)
          await this.store.change(keyset, async (em) => {
            for (const key of pending) await em.delete(SigningKeyEntity, { id: key.id });
          });
        return (
          keyset.retiredAt === null &&
          keys.some((k) => k.status === 'current' && damaged.has(k.kid))
        );
      }),
    );
    if (!rotate) return;
    const next = await this.rotate(name);
    this.logger.warn(
      `keyset "${name}": its current key's record is damaged; kid ${next.kid} signs ${next.status === 'current' ? 'from now on' : `from ${new Date(next.activeFrom!).toISOString()}`}`,
    );
  }

  /**
   * Applies every due rotation step of every stored keyset (the scheduler's work). Memory was
   * just synced, so it tells cheaply which keysets have something due; only those are re-read
   * from the database, which decides.
   */
  async applyAllDue(): Promise<void> {
    const now = this.clock.now();
    for (const held of this.registry.all()) {
      const { origin } = held;
      if (origin.kind === 'stored')
        await this.replaceDamaged(held.name).catch((err: Error) =>
          this.logger.error(
            `replacing the damaged key of keyset "${held.name}" failed, retrying on the next tick: ${err.message}`,
          ),
        );
      if (
        origin.kind !== 'stored' ||
        !dueStep(held.keys, this.applied(origin.rotation), now, origin.retiredAt)
      )
        continue;
      try {
        await this.stored.serialized(held.name, () => this.applyDueLocked(held.name));
      } catch (err) {
        this.logger.error(
          `rotation step for keyset "${held.name}" failed, retrying on the next tick: ${(err as Error).message}`,
        );
      }
    }
  }

  /** Applies due steps until the keyset is up to date; caller holds the keyset's lock. */
  async applyDueLocked(name: string): Promise<void> {
    for (let step = 0; step < MAX_STEPS_PER_PASS; step++) {
      const stored = await this.store.read(name);
      if (!stored) return this.stored.reload(name);
      const due = dueStep(
        stored.keys.map(timelineOf),
        this.applied(settingsOf(stored.keyset)),
        this.clock.now(),
        stored.keyset.retiredAt,
      );
      if (!due) return;
      let conflict = false;
      try {
        await this.applyStep(stored, due);
      } catch (err) {
        // Another instance applied a step first; the next pass starts from what it wrote.
        if (!(err instanceof RevisionConflict)) throw err;
        conflict = true;
      } finally {
        await this.stored.reload(name);
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
    } else if (step.kind === 'prune') {
      await this.store.change(keyset, async (em) => {
        for (const kid of step.kids)
          await em.delete(SigningKeyEntity, { keysetId: keyset.id, kid });
      });
      this.logger.log(
        `unpublished retired keys of keyset "${keyset.name}": ${step.kids.join(', ')}`,
      );
    } else {
      await this.store.delete(keyset);
      this.logger.log(`removed retired keyset "${keyset.name}": its tokens have expired`);
    }
  }

  /**
   * Stops a keyset signing: its current key is retired now and kept published, with every
   * previous one, until the tokens they signed have expired (then a `remove` step deletes the
   * keyset). A pending key signed nothing and goes at once.
   */
  async retire(name: string): Promise<void> {
    await this.stored.serialized(name, () =>
      this.stored.changeLocked(name, async ({ keyset }) => {
        // Another instance starting with the same file retired it first: its time stands.
        if (keyset.retiredAt !== null) return;
        const now = this.clock.now();
        await this.store.change(keyset, async (em) => {
          await em.delete(SigningKeyEntity, { keysetId: keyset.id, status: 'next' });
          await em.update(
            SigningKeyEntity,
            { keysetId: keyset.id, status: 'current' },
            { status: 'previous', retiredAt: now },
          );
          await em.update(KeysetEntity, { id: keyset.id }, { retiredAt: now });
        });
      }),
    );
  }

  /**
   * Undoes a retirement (the file declares the keyset again, or something signs with it): its
   * newest key signs again — still published by every instance, so none lacks it.
   */
  async revive(name: string, managedBy: ManagedBy): Promise<void> {
    await this.stored.serialized(name, () =>
      this.stored.changeLocked(name, async ({ keyset, keys }) => {
        if (keyset.retiredAt === null) return;
        await this.store.change(keyset, async (em) => {
          await em.update(
            SigningKeyEntity,
            { id: keys[0]!.id },
            { status: 'current', retiredAt: null },
          );
          await em.update(KeysetEntity, { id: keyset.id }, { retiredAt: null, managedBy });
        });
        this.logger.log(`keyset "${name}" signs again with kid ${keys[0]!.kid}`);
      }),
    );
  }

  /** Settings as applied: pre-publication never shorter than the store's minimum. */
  private applied(settings: RotationSettings): RotationSettings {
    return {
      ...settings,
      prepublishSeconds: Math.max(settings.prepublishSeconds, this.minimumPrepublishSeconds),
    };
  }

  /** A single instance may switch keys at once; instances sharing a store may not (see above). */
  private get minimumPrepublishSeconds(): number {
    return this.store.sharedByInstances ? SHARED_STORE_PREPUBLISH_SECONDS : 0;
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
}
