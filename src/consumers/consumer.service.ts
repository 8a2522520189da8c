import { createHash, randomUUID, type KeyObject } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { CLOCK, type Clock } from '../common/clock';
import { Errors } from '../common/errors';
import { STS_CONFIG, type StsConfig } from '../config/config';
import { ConsumerEntity } from '../database/consumer.entity';
import {
  credentialSecretAad as aadFor,
  JwtCredentialEntity,
} from '../database/jwt-credential.entity';
import { isHmac, isSigningAlgorithm, type SigningAlgorithm } from '../config/algorithms';
import { MasterKeyRing } from '../keys/master-key';
import {
  credentialProblem,
  DEFAULT_CREDENTIAL_ALGORITHM,
  type ConsumerShape,
  type CredentialShape,
} from '../config/consumer.schema';
import { importCredentialKey } from './credential-key';

export interface Consumer {
  readonly id: string;
  readonly username: string | null;
  readonly custom_id: string | null;
}

export type ConsumerLookupField = 'id' | 'username' | 'custom_id';

/** The consumer and credential rows, with a digest to tell whether they changed. */
interface StoredRows {
  rows: ConsumerEntity[];
  credentialRows: JwtCredentialEntity[];
  digest: string;
}

/** A credential as the admin API may show it: never the secret. */
export interface CredentialSummary {
  readonly id: string;
  readonly key: string;
  readonly algorithm: SigningAlgorithm;
  readonly consumer_id: string;
  readonly rsa_public_key: string | null;
}

/**
 * A credential ready to verify with: the secret in memory, or the imported public key (a Node
 * KeyObject for Ed448, which jose does not implement).
 */
export interface HeldCredential extends CredentialSummary {
  readonly consumer: Consumer;
  /** HMAC secret as configured (decoded per profile: `secret_is_base64`). */
  readonly secret: string | null;
  readonly publicKey: CryptoKey | KeyObject | null;
}

/**
 * Consumers and their Kong JWT credentials: stored in the database (secrets encrypted with the
 * master key), held in memory for the hot path. File consumers are applied at boot as
 * create-or-update (by id, else username, else custom_id; credentials by key). `sync` picks up
 * what other instances sharing the database wrote; ProfileService's round runs it first, since
 * profiles name consumers.
 */
@Injectable()
export class ConsumerService implements OnModuleInit {
  private readonly logger = new Logger(ConsumerService.name);
  private byField: Record<ConsumerLookupField, Map<string, Consumer>> = {
    id: new Map(),
    username: new Map(),
    custom_id: new Map(),
  };
  private credentials = new Map<string, HeldCredential>();
  /** Digest of the rows the held view was built from. */
  private loadedDigest = '';

  constructor(
    private readonly dataSource: DataSource,
    private readonly masterKeys: MasterKeyRing,
    @Inject(STS_CONFIG) private readonly config: StsConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    for (const consumer of this.config.file.consumers) await this.write(consumer);
    await this.reload();
  }

  /** Rebuilds the held view when the stored rows changed (another instance wrote them). */
  async sync(): Promise<void> {
    const stored = await this.readRows();
    if (stored.digest !== this.loadedDigest) await this.rebuild(stored);
  }

  list(): Consumer[] {
    return [...this.byField.id.values()];
  }

  find(field: ConsumerLookupField, value: string): Consumer | undefined {
    return this.byField[field].get(value);
  }

  /** Kong's way of naming a consumer in configuration (`anonymous`): its id or its username. */
  findByReference(reference: string): Consumer | undefined {
    return this.byField.id.get(reference) ?? this.byField.username.get(reference);
  }

  credential(key: string): HeldCredential | undefined {
    return this.credentials.get(key);
  }

  credentialsOf(reference: string): CredentialSummary[] {
    const consumer = this.findByReference(reference);
    if (!consumer) throw Errors.notFound(`consumer "${reference}"`);
    return [...this.credentials.values()]
      .filter((credential) => credential.consumer_id === consumer.id)
      .map(({ id, key, algorithm, consumer_id, rsa_public_key }) => ({
        id,
        key,
        algorithm,
        consumer_id,
        rsa_public_key,
      }));
  }

  /** Create-or-update one consumer with its credentials (Kong's declarative shape). */
  async save(input: ConsumerShape): Promise<Consumer> {
    for (const credential of input.jwt_secrets ?? []) {
      const problem = credentialProblem(credential);
      if (problem) throw Errors.invalidRequest(`credential "${credential.key}": ${problem}`);
    }
    const id = await this.write(input);
    await this.reload();
    return this.byField.id.get(id)!;
  }

  async delete(reference: string): Promise<void> {
    const consumer = this.findByReference(reference);
    if (!consumer) throw Errors.notFound(`consumer "${reference}"`);
    await this.dataSource.transaction(async (em) => {
      await em.delete(JwtCredentialEntity, { consumerId: consumer.id });
      await em.delete(ConsumerEntity, { id: consumer.id });
    });
    await this.reload();
  }

  /** Adds (or replaces, by key) a credential of a consumer: Kong's `POST /consumers/{c}/jwt`. */
  async addCredential(reference: string, credential: CredentialShape): Promise<CredentialSummary> {
    const consumer = this.findByReference(reference);
    if (!consumer) throw Errors.notFound(`consumer "${reference}"`);
    const problem = credentialProblem(credential);
    if (problem) throw Errors.invalidRequest(problem);
    await this.dataSource.transaction(async (em) => {
      await this.writeCredential(em.getRepository(JwtCredentialEntity), consumer.id, credential);
    });
    await this.reload();
    return this.credentialsOf(consumer.id).find((c) => c.key === credential.key)!;
  }

  async removeCredential(key: string): Promise<void> {
    if (!this.credentials.has(key)) throw Errors.notFound(`credential "${key}"`);
    await this.dataSource.getRepository(JwtCredentialEntity).delete({ key });
    await this.reload();
  }

  private async write(input: ConsumerShape): Promise<string> {
    if (!input.username && !input.custom_id)
      throw Errors.invalidRequest('a consumer needs a username or a custom_id');
    return this.dataSource.transaction(async (em) => {
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
      };
      await this.assertUnique(consumers, row);
      await consumers.save(row);
      const credentials = em.getRepository(JwtCredentialEntity);
      for (const credential of input.jwt_secrets ?? [])
        await this.writeCredential(credentials, row.id, credential);
      return row.id;
    });
  }

  private async assertUnique(
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

  private async writeCredential(
    credentials: Repository<JwtCredentialEntity>,
    consumerId: string,
    credential: CredentialShape,
  ): Promise<void> {
    const existing = await credentials.findOneBy({ key: credential.key });
    if (existing && existing.consumerId !== consumerId) {
      throw Errors.invalidRequest(`credential key "${credential.key}" belongs to another consumer`);
    }
    const id = existing?.id ?? randomUUID();
    const algorithm = credential.algorithm ?? DEFAULT_CREDENTIAL_ALGORITHM;
    const secret = isHmac(algorithm) ? (credential.secret ?? null) : null;
    const encrypted = secret === null ? null : this.masterKeys.encrypt(secret, aadFor(id));
    const row: JwtCredentialEntity = {
      id,
      consumerId,
      key: credential.key,
      algorithm,
      secretEncrypted: encrypted?.ciphertext ?? null,
      masterKeyId: encrypted?.keyId ?? null,
      rsaPublicKey: isHmac(algorithm) ? null : (credential.rsa_public_key ?? null),
      createdAt: existing?.createdAt ?? this.clock.now(),
    };
    await credentials.save(row);
  }

  private async readRows(): Promise<StoredRows> {
    const rows = await this.dataSource.getRepository(ConsumerEntity).find({ order: { id: 'ASC' } });
    const credentialRows = await this.dataSource
      .getRepository(JwtCredentialEntity)
      .find({ order: { id: 'ASC' } });
    const digest = createHash('sha256')
      .update(JSON.stringify([rows, credentialRows]))
      .digest('base64url');
    return { rows, credentialRows, digest };
  }

  /** Rebuilds the in-memory view from the database (small tables; changes are rare). */
  private async reload(): Promise<void> {
    await this.rebuild(await this.readRows());
  }

  private async rebuild({ rows, credentialRows, digest }: StoredRows): Promise<void> {
    const byField: Record<ConsumerLookupField, Map<string, Consumer>> = {
      id: new Map(),
      username: new Map(),
      custom_id: new Map(),
    };
    for (const row of rows) {
      const consumer: Consumer = Object.freeze({
        id: row.id,
        username: row.username,
        custom_id: row.customId,
      });
      byField.id.set(consumer.id, consumer);
      if (consumer.username !== null) byField.username.set(consumer.username, consumer);
      if (consumer.custom_id !== null) byField.custom_id.set(consumer.custom_id, consumer);
    }
    const credentials = new Map<string, HeldCredential>();
    for (const row of credentialRows) {
      const consumer = byField.id.get(row.consumerId);
      if (!consumer) continue;
      credentials.set(row.key, await this.hold(row, consumer));
    }
    this.byField = byField;
    this.credentials = credentials;
    this.loadedDigest = digest;
  }

  private async hold(row: JwtCredentialEntity, consumer: Consumer): Promise<HeldCredential> {
    if (!isSigningAlgorithm(row.algorithm))
      throw new Error(`credential "${row.key}" has unsupported algorithm ${row.algorithm}`);
    let secret: string | null = null;
    let publicKey: CryptoKey | KeyObject | null = null;
    if (row.secretEncrypted !== null && row.masterKeyId !== null) {
      secret = this.masterKeys.decrypt(row.secretEncrypted, row.masterKeyId, aadFor(row.id));
    }
    if (row.rsaPublicKey !== null) {
      try {
        publicKey = await importCredentialKey(row.rsaPublicKey, row.algorithm);
      } catch (err) {
        // Kong answers "Invalid key/secret" for such a credential; keep serving the others.
        this.logger.warn(`credential "${row.key}": ${(err as Error).message}`);
      }
    }
    return Object.freeze({
      id: row.id,
      key: row.key,
      algorithm: row.algorithm,
      consumer_id: consumer.id,
      rsa_public_key: row.rsaPublicKey,
      consumer,
      secret,
      publicKey,
    });
  }
}
