import type { KeyObject } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock';
import { Errors } from '../common/errors';
import { STS_CONFIG, type StsConfig } from '../config/config';
import type { ConsumerEntity } from '../database/consumer.entity';
import {
  credentialSecretAad as aadFor,
  type JwtCredentialEntity,
} from '../database/jwt-credential.entity';
import { isSigningAlgorithm, type SigningAlgorithm } from '../config/algorithms';
import { MasterKeyRing } from '../keys/master-key';
import { AuditLog } from '../logging/audit-log';
import {
  credentialProblem,
  type ConsumerShape,
  type CredentialShape,
} from '../config/consumer.schema';
import { ConsumerStore, type ConsumerRows, type ConsumerWrite } from './consumer.store';
import { importCredentialKey } from './credential-key';

export interface Consumer {
  readonly id: string;
  readonly username: string | null;
  readonly custom_id: string | null;
}

export type ConsumerLookupField = 'id' | 'username' | 'custom_id';

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

/** Names what still uses a consumer (e.g. `profile "p" (anonymous)`), so it is not removed. */
export type ConsumerReferenceCheck = (consumer: Consumer) => string[];

/** How long the change log keeps a write: an instance that has not synced for longer reloads all. */
const CHANGE_RETENTION_MS = 3600_000;
/** How often an instance prunes the change log. */
const PRUNE_INTERVAL_MS = 600_000;

/**
 * Consumers and their Kong JWT credentials, held in memory for the hot path. Changes apply
 * consumer by consumer: a write here re-reads only the consumer it touched before it returns (an
 * instance reads its own writes), and `sync` applies the consumers other instances changed since
 * the last store revision it saw. Reads of the store and their application run one at a time, so
 * an older read never replaces a newer one. The file's consumers are applied at boot as
 * create-or-update; those it wrote and no longer declares are removed. ProfileService's round
 * runs `sync` first, since profiles name consumers.
 */
@Injectable()
export class ConsumerService implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger(ConsumerService.name);
  private readonly byField: Record<ConsumerLookupField, Map<string, Consumer>> = {
    id: new Map(),
    username: new Map(),
    custom_id: new Map(),
  };
  private readonly credentials = new Map<string, HeldCredential>();
  /** Each held consumer's credential keys. */
  private readonly keysOf = new Map<string, Set<string>>();
  private readonly referenceChecks: ConsumerReferenceCheck[] = [];
  /** The consumers the file declares, once it is applied. */
  private readonly declaredIds = new Set<string>();
  /** Every store revision up to this one is applied to memory. */
  private watermark = 0;
  private prunedAt = 0;
  private applying: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: ConsumerStore,
    private readonly masterKeys: MasterKeyRing,
    private readonly audit: AuditLog,
    @Inject(STS_CONFIG) private readonly config: StsConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    for (const consumer of this.config.file.consumers)
      this.declaredIds.add((await this.store.write(consumer, 'file')).consumerId);
    await this.serialized(() => this.loadAll());
  }

  /** Once every module holds what it uses, so the reference checks (profiles) are in place. */
  async onApplicationBootstrap(): Promise<void> {
    await this.removeUndeclared();
  }

  /** Applies what other instances wrote since the last revision seen. */
  async sync(): Promise<void> {
    await this.serialized(async () => {
      await this.applyChanges();
      const now = this.clock.now();
      if (now - this.prunedAt < PRUNE_INTERVAL_MS) return;
      this.prunedAt = now;
      await this.store.prune(now - CHANGE_RETENTION_MS);
    });
  }

  /** Removal is refused while a check names a user of the consumer. */
  addReferenceCheck(check: ConsumerReferenceCheck): void {
    this.referenceChecks.push(check);
  }

  usersOf(consumer: Consumer): string[] {
    return this.referenceChecks.flatMap((check) => check(consumer));
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
    return [...(this.keysOf.get(consumer.id) ?? [])].map((key) => {
      const { id, algorithm, consumer_id, rsa_public_key } = this.credentials.get(key)!;
      return { id, key, algorithm, consumer_id, rsa_public_key };
    });
  }

  /** Create-or-update one consumer with its credentials (Kong's declarative shape). */
  async save(input: ConsumerShape): Promise<Consumer> {
    for (const credential of input.jwt_secrets ?? []) {
      const problem = credentialProblem(credential);
      if (problem) throw Errors.invalidRequest(`credential "${credential.key}": ${problem}`);
    }
    const written = await this.store.write(input, 'api');
    await this.applyOwn(written);
    return this.byField.id.get(written.consumerId)!;
  }

  async delete(reference: string): Promise<void> {
    const consumer = this.findByReference(reference);
    if (!consumer) throw Errors.notFound(`consumer "${reference}"`);
    await this.applyOwn(await this.store.deleteConsumer(consumer.id));
  }

  /** Adds (or replaces, by key) a credential of a consumer: Kong's `POST /consumers/{c}/jwt`. */
  async addCredential(reference: string, credential: CredentialShape): Promise<CredentialSummary> {
    const consumer = this.findByReference(reference);
    if (!consumer) throw Errors.notFound(`consumer "${reference}"`);
    const problem = credentialProblem(credential);
    if (problem) throw Errors.invalidRequest(problem);
    await this.applyOwn(await this.store.writeCredential(consumer.id, credential, 'api'));
    return this.credentialsOf(consumer.id).find((c) => c.key === credential.key)!;
  }

  async removeCredential(key: string): Promise<void> {
    const held = this.credentials.get(key);
    if (!held) throw Errors.notFound(`credential "${key}"`);
    await this.applyOwn(await this.store.deleteCredential(held.consumer_id, key));
  }

  /**
   * Consumers and credentials the file wrote and no longer declares go. A consumer still in use is
   * kept, but not its undeclared credentials: nothing authenticates as it any more.
   */
  private async removeUndeclared(): Promise<void> {
    const declaredKeys = new Set(
      this.config.file.consumers.flatMap((c) => (c.jwt_secrets ?? []).map((s) => s.key)),
    );
    const { consumers, credentials } = await this.store.fileManaged();
    const gone = consumers
      .filter((row) => !this.declaredIds.has(row.id))
      .map((row) => ({ row, usedBy: this.usersOf(toConsumer(row)) }));
    // These take their credentials with them.
    const deleted = new Set(gone.filter((g) => g.usedBy.length === 0).map((g) => g.row.id));
    await this.audit.removeUndeclared(
      'jwt_credential',
      credentials
        .filter((row) => !declaredKeys.has(row.key) && !deleted.has(row.consumerId))
        .map((row) => ({
          name: row.key,
          remove: async () =>
            this.applyOwn(await this.store.deleteCredential(row.consumerId, row.key)),
        })),
    );
    await this.audit.removeUndeclared(
      'consumer',
      gone.map(({ row, usedBy }) => ({
        name: row.username ?? row.customId ?? row.id,
        usedBy,
        remove: async () => this.applyOwn(await this.store.deleteConsumer(row.id)),
      })),
    );
  }

  private async applyChanges(): Promise<void> {
    if ((await this.store.head()) === this.watermark) return;
    const changes = await this.store.changesSince(this.watermark);
    // The log no longer reaches back to the watermark: start over from the tables.
    if (changes[0]?.revision !== this.watermark + 1) return this.loadAll();
    await this.refresh(new Set(changes.map((change) => change.consumerId)));
    this.watermark = changes.at(-1)!.revision;
  }

  /** Applies a write of this instance before the caller answers. */
  private async applyOwn({ consumerId, revision }: ConsumerWrite): Promise<void> {
    await this.serialized(async () => {
      await this.refresh([consumerId]);
      // Nothing else was written in between: the next sync need not read it again.
      if (revision === this.watermark + 1) this.watermark = revision;
    });
  }

  /**
   * Store reads and what is built from them, one at a time: a read that started before another
   * instance's (or this one's) write can never be applied after a read that saw it.
   */
  private serialized(work: () => Promise<void>): Promise<void> {
    const next = this.applying.then(work);
    this.applying = next.catch(() => undefined);
    return next;
  }

  private async loadAll(): Promise<void> {
    const head = await this.store.head();
    const held = await this.holdRows(await this.store.readAll());
    for (const map of [...Object.values(this.byField), this.credentials, this.keysOf]) map.clear();
    this.install(held);
    this.watermark = head;
  }

  /** Re-reads the given consumers: changed ones replace the held ones, deleted ones go. */
  private async refresh(ids: Iterable<string>): Promise<void> {
    const list = [...ids];
    const held = await this.holdRows(await this.store.read(list));
    for (const id of list) this.forget(id);
    this.install(held);
  }

  private async holdRows(rows: ConsumerRows): Promise<HeldRows> {
    const consumers = new Map(rows.consumers.map((row) => [row.id, toConsumer(row)]));
    const credentials: HeldCredential[] = [];
    for (const row of rows.credentials) {
      const consumer = consumers.get(row.consumerId);
      if (consumer) credentials.push(await this.hold(row, consumer));
    }
    return { consumers: [...consumers.values()], credentials };
  }

  private install({ consumers, credentials }: HeldRows): void {
    for (const consumer of consumers) {
      for (const field of ['id', 'username', 'custom_id'] as const) {
        const value = consumer[field];
        if (value !== null) this.byField[field].set(value, consumer);
      }
      this.keysOf.set(consumer.id, new Set());
    }
    for (const credential of credentials) {
      this.credentials.set(credential.key, credential);
      this.keysOf.get(credential.consumer_id)!.add(credential.key);
    }
  }

  private forget(id: string): void {
    const consumer = this.byField.id.get(id);
    if (!consumer) return;
    for (const field of ['id', 'username', 'custom_id'] as const) {
      const value = consumer[field];
      if (value !== null && this.byField[field].get(value)?.id === id)
        this.byField[field].delete(value);
    }
    for (const key of this.keysOf.get(id) ?? []) {
      if (this.credentials.get(key)?.consumer_id === id) this.credentials.delete(key);
    }
    this.keysOf.delete(id);
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

interface HeldRows {
  consumers: Consumer[];
  credentials: HeldCredential[];
}

const toConsumer = (row: ConsumerEntity): Consumer =>
  Object.freeze({ id: row.id, username: row.username, custom_id: row.customId });
