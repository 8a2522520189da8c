import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { JWK } from 'jose';
import { DataSource, type EntityManager } from 'typeorm';
import { CLOCK, type Clock } from '../common/clock';
import { KeysetEntity } from '../database/keyset.entity';
import {
  privateJwkAad as aadFor,
  SigningKeyEntity,
  type KeyStatus,
} from '../database/signing-key.entity';
import type { GeneratedKey } from './key-generator';
import { MasterKeyRing } from './master-key';

/** Another instance (or request) changed the keyset since it was read; nothing was written. */
export class RevisionConflict extends Error {
  constructor(name: string) {
    super(`keyset "${name}" changed concurrently`);
    this.name = 'RevisionConflict';
  }
}

/** A stored keyset and its key rows as the database holds them (private members still sealed). */
export interface StoredKeyset {
  keyset: KeysetEntity;
  keys: SigningKeyEntity[];
}

/**
 * Persistence of keysets and their keys. Private JWKs are sealed with the master key ring before
 * they reach a row and only unsealed on the way into KeysetService. The database row is the
 * truth: every change runs in a transaction guarded by the keyset's revision.
 */
@Injectable()
export class KeysetStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly masterKeys: MasterKeyRing,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** PostgreSQL is how several instances share one store; SQLite is embedded in one. */
  get sharedByInstances(): boolean {
    return this.dataSource.options.type === 'postgres';
  }

  async read(name: string): Promise<StoredKeyset | undefined> {
    const keyset = await this.dataSource.getRepository(KeysetEntity).findOneBy({ name });
    if (!keyset) return undefined;
    const keys = await this.dataSource
      .getRepository(SigningKeyEntity)
      .find({ where: { keysetId: keyset.id }, order: { generation: 'DESC' } });
    return { keyset, keys };
  }

  /** Name → revision of every stored keyset: cheap enough to poll for other instances' changes. */
  async revisions(): Promise<Map<string, number>> {
    const rows = await this.dataSource
      .getRepository(KeysetEntity)
      .find({ select: { name: true, revision: true } });
    return new Map(rows.map((row) => [row.name, row.revision]));
  }

  /** Inserts a keyset with its first (current) key; fails on a duplicate name. */
  async create(keyset: KeysetEntity, first: GeneratedKey): Promise<void> {
    await this.dataSource.transaction(async (em) => {
      await em.insert(KeysetEntity, keyset);
      await em.insert(SigningKeyEntity, this.sealedRow(keyset.id, first, 'current', 1, null));
    });
  }

  /**
   * Runs `work` in a transaction that first moves the keyset from the revision it was read at to
   * the next one. When the row has moved on (another instance got there first), nothing is
   * written and RevisionConflict is thrown. On PostgreSQL the guarding UPDATE also locks the row,
   * so a concurrent change waits and then finds the revision gone.
   */
  async change(read: KeysetEntity, work: (em: EntityManager) => Promise<unknown>): Promise<void> {
    await this.dataSource.transaction(async (em) => {
      const result = await em
        .createQueryBuilder()
        .update(KeysetEntity)
        .set({ revision: () => 'revision + 1' })
        .where('id = :id AND revision = :revision', { id: read.id, revision: read.revision })
        .execute();
      if (result.affected !== 1) throw new RevisionConflict(read.name);
      await work(em);
    });
  }

  async delete(read: KeysetEntity): Promise<void> {
    await this.change(read, (em) => em.delete(KeysetEntity, { id: read.id }));
  }

  /** A key row for the keyset with its private JWK sealed under the primary master key. */
  sealedRow(
    keysetId: string,
    generated: GeneratedKey,
    status: KeyStatus,
    generation: number,
    activeFrom: number | null,
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
      activatedAt: status === 'current' ? now : activeFrom,
      retiredAt: null,
    };
  }

  unseal(keysetName: string, row: SigningKeyEntity): JWK {
    try {
      return JSON.parse(
        this.masterKeys.decrypt(
          row.privateJwkEncrypted,
          row.masterKeyId,
          aadFor(row.keysetId, row.kid),
        ),
      ) as JWK;
    } catch (err) {
      throw new Error(
        `cannot load keyset "${keysetName}" key ${row.kid}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
}
