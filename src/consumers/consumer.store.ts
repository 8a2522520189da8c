import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In, LessThan, MoreThan, type EntityManager, type Repository } from 'typeorm';
import { CLOCK, type Clock } from '../common/clock';
import { Errors } from '../common/errors';
import { isHmac } from '../config/algorithms';
import {
  DEFAULT_CREDENTIAL_ALGORITHM,
  type ConsumerShape,
  type CredentialShape,
} from '../config/consumer.schema';
import type { ManagedBy } from '../database/columns';
import { ConsumerChangeEntity } from '../database/consumer-change.entity';
import { ConsumerEntity } from '../database/consumer.entity';
import {
  credentialSecretAad as aadFor,
  JwtCredentialEntity,
} from '../database/jwt-credential.entity';
import { StoreRevisionEntity } from '../database/store-revision.entity';
import { MasterKeyRing } from '../keys/master-key';

/** The `store_revisions` counter of consumer writes. */
const REVISION = 'consumers';

/** Ids per `IN (…)` list, well under every driver's limit on bound parameters. */
const IDS_PER_QUERY = 500;

export interface ConsumerRows {
  consumers: ConsumerEntity[];
  credentials: JwtCredentialEntity[];
}

/** A committed write: the consumer it touched and the store revision it took. */
export interface ConsumerWrite {
  consumerId: string;
  revision: number;
}

/**
 * Consumers and their JWT credentials in the database (secrets sealed with the master key). Every
 * write takes the next `consumers` store revision and records which consumer it touched, in the
 * same transaction, so instances apply each other's writes consumer by consumer (`changesSince`)
 * instead of re-reading the tables.
 */
@Injectable()
export class ConsumerStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly masterKeys: MasterKeyRing,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The revision of the last committed write. */
  async head(): Promise<number> {
    const counter = await this.dataSource
      .getRepository(StoreRevisionEntity)
      .findOneByOrFail({ name: REVISION });
    return counter.revision;
  }

  /** Writes after `revision`, oldest first. */
  changesSince(revision: number): Promise<ConsumerChangeEntity[]> {
    return this.dataSource
      .getRepository(ConsumerChangeEntity)
      .find({ where: { revision: MoreThan(revision) }, order: { revision: 'ASC' } });
  }

  /** Forgets writes recorded before `before` (ms); an instance further behind reloads everything. */
  async prune(before: number): Promise<void> {
    await this.dataSource
      .getRepository(ConsumerChangeEntity)
      .delete({ changedAt: LessThan(before) });
  }

  async readAll(): Promise<ConsumerRows> {
    return {
      consumers: await this.dataSource.getRepository(ConsumerEntity).find(),
      credentials: await this.dataSource.getRepository(JwtCredentialEntity).find(),
    };
  }

  /** The given consumers (those that still exist) and their credentials. */
  async read(ids: readonly string[]): Promise<ConsumerRows> {
    const rows: ConsumerRows = { consumers: [], credentials: [] };
    for (let at = 0; at < ids.length; at += IDS_PER_QUERY) {
      const chunk = ids.slice(at, at + IDS_PER_QUERY);
      rows.consumers.push(
        ...(await this.dataSource.getRepository(ConsumerEntity).findBy({ id: In(chunk) })),
      );
      rows.credentials.push(
        ...(await this.dataSource
          .getRepository(JwtCredentialEntity)
          .findBy({ consumerId: In(chunk) })),
      );
    }
    return rows;
  }

  /** The rows the declarative file wrote. */
  async fileManaged(): Promise<ConsumerRows> {
    const where = { managedBy: 'file' as const };
    return {
      consumers: await this.dataSource.getRepository(ConsumerEntity).findBy(where),
      credentials: await this.dataSource.getRepository(JwtCredentialEntity).findBy(where),
    };
  }

  /**
   * Create-or-update one consumer (by id, else username, else custom_id) with its credentials
   * (by key), Kong's declarative way.
   */
  write(input: ConsumerShape, managedBy: ManagedBy): Promise<ConsumerWrite> {
    if (!input.username && !input.custom_id)
      throw Errors.invalidRequest('a consumer needs a username or a custom_id');
    return this.change(async (em) => {
      const consumers = em.getRepository(ConsumerEntity);
      const match = input.id
        ? { id: input.id }
        : input.username !== undefined
          ? { username: input.username }
          : { customId: input.custom_id };
      const existing = await consumers.findOneBy(match);
      const row: ConsumerEntity = {
        id: existing?.id ?? input.id ?? randomUUID(),
        username: input.username ?? null,
        customId: input.custom_id ?? null,
        createdAt: existing?.createdAt ?? this.clock.now(),
        managedBy,
      };
      await assertUnique(consumers, row);
      await consumers.save(row);
      for (const credential of input.jwt_secrets ?? [])
        await this.saveCredential(em, row.id, credential, managedBy);
      return row.id;
    });
  }

  /** Adds or replaces (by key) one credential of a consumer. */
  writeCredential(
    consumerId: string,
    credential: CredentialShape,
    managedBy: ManagedBy,
  ): Promise<ConsumerWrite> {
    return this.change(async (em) => {
      await this.saveCredential(em, consumerId, credential, managedBy);
      return consumerId;
    });
  }

  deleteConsumer(id: string): Promise<ConsumerWrite> {
    return this.change(async (em) => {
      await em.delete(JwtCredentialEntity, { consumerId: id });
      await em.delete(ConsumerEntity, { id });
      return id;
    });
  }

  deleteCredential(consumerId: string, key: string): Promise<ConsumerWrite> {
    return this.change(async (em) => {
      await em.delete(JwtCredentialEntity, { consumerId, key });
      return consumerId;
    });
  }

  /**
   * Runs a write in a transaction that first takes the next store revision (on PostgreSQL the
   * counter's row lock orders concurrent writers by commit) and records it with the consumer.
   */
  private change(work: (em: EntityManager) => Promise<string>): Promise<ConsumerWrite> {
    return this.dataSource.transaction(async (em) => {
      await em
        .createQueryBuilder()
        .update(StoreRevisionEntity)
        .set({ revision: () => 'revision + 1' })
        .where('name = :name', { name: REVISION })
        .execute();
      const { revision } = await em.findOneByOrFail(StoreRevisionEntity, { name: REVISION });
      const consumerId = await work(em);
      await em.insert(ConsumerChangeEntity, { revision, consumerId, changedAt: this.clock.now() });
      return { consumerId, revision };
    });
  }

  private async saveCredential(
    em: EntityManager,
    consumerId: string,
    credential: CredentialShape,
    managedBy: ManagedBy,
  ): Promise<void> {
    const credentials = em.getRepository(JwtCredentialEntity);
    const existing = await credentials.findOneBy({ key: credential.key });
    if (existing && existing.consumerId !== consumerId) {
      throw Errors.invalidRequest(`credential key "${credential.key}" belongs to another consumer`);
    }
    const id = existing?.id ?? randomUUID();
    const algorithm = credential.algorithm ?? DEFAULT_CREDENTIAL_ALGORITHM;
    const secret = isHmac(algorithm) ? (credential.secret ?? null) : null;
    const encrypted = secret === null ? null : this.masterKeys.encrypt(secret, aadFor(id));
    await credentials.save({
      id,
      consumerId,
      key: credential.key,
      algorithm,
      secretEncrypted: encrypted?.ciphertext ?? null,
      masterKeyId: encrypted?.keyId ?? null,
      rsaPublicKey: isHmac(algorithm) ? null : (credential.rsa_public_key ?? null),
      createdAt: existing?.createdAt ?? this.clock.now(),
      managedBy,
    } satisfies JwtCredentialEntity);
  }
}

async function assertUnique(
  consumers: Repository<ConsumerEntity>,
  row: ConsumerEntity,
): Promise<void> {
  for (const [field, value] of [
    ['username', row.username],
    ['customId', row.customId],
  ] as const) {
    if (value === null) continue;
    const other = await consumers.findOneBy({ [field]: value });
    if (other && other.id !== row.id)
      throw Errors.invalidRequest(`another consumer already has ${field} "${value}"`);
  }
}
