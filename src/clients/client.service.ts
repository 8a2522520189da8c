import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CLOCK, type Clock } from '../common/clock';
import { STS_CONFIG, type StsConfig } from '../config/config';
import type { ClientConfig } from '../config/file.schema';
import { ClientEntity } from '../database/client.entity';
import type { ManagedBy } from '../database/columns';
import { AuditLog } from '../logging/audit-log';
import { hashClientSecret, secretDigest, verifyClientSecret } from './client-secret';

export interface Client {
  clientId: string;
  profile: string;
  audiences: string[];
  scopes: string[];
}

const toClient = (row: ClientEntity): Client => ({
  clientId: row.clientId,
  profile: row.profile,
  audiences: JSON.parse(row.audiences) as string[],
  scopes: JSON.parse(row.scopes) as string[],
});

/** A hash to burn the same time when the client id is unknown, so timing does not reveal ids. */
const DUMMY_HASH = hashClientSecret('not-a-client');

/** RFC 8693 / RFC 7662 callers: stored with hashed secrets, authenticated in constant time. */
@Injectable()
export class ClientService implements OnModuleInit {
  /**
   * Digest of the last secret verified per client, with the stored hash it matched: scrypt runs
   * once per client and secret, not per request, and a changed secret invalidates the entry.
   */
  private readonly verified = new Map<string, { secretHash: string; digest: Buffer }>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditLog,
    @Inject(STS_CONFIG) private readonly config: StsConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Applies the file's clients; those it wrote and no longer declares are removed. */
  async onModuleInit(): Promise<void> {
    for (const client of this.config.file.clients) await this.upsert(client, 'file');
    const declared = new Set(this.config.file.clients.map((client) => client.client_id));
    const rows = await this.dataSource.getRepository(ClientEntity).findBy({ managedBy: 'file' });
    await this.audit.removeUndeclared(
      'client',
      rows
        .filter((row) => !declared.has(row.clientId))
        .map((row) => ({ name: row.clientId, remove: () => this.delete(row.clientId) })),
    );
  }

  /** Create-or-update by `client_id`; the secret is re-hashed only when it changed. */
  async upsert(client: ClientConfig, managedBy: ManagedBy): Promise<Client> {
    const repository = this.dataSource.getRepository(ClientEntity);
    const existing = await repository.findOneBy({ clientId: client.client_id });
    const secretHash =
      existing && (await verifyClientSecret(client.client_secret, existing.secretHash))
        ? existing.secretHash
        : await hashClientSecret(client.client_secret);
    const row: ClientEntity = {
      clientId: client.client_id,
      secretHash,
      profile: client.profile,
      audiences: JSON.stringify(client.audiences ?? []),
      scopes: JSON.stringify(client.scopes ?? []),
      createdAt: existing?.createdAt ?? this.clock.now(),
      managedBy,
    };
    await repository.save(row);
    return toClient(row);
  }

  async get(clientId: string): Promise<Client | undefined> {
    const row = await this.dataSource.getRepository(ClientEntity).findOneBy({ clientId });
    return row ? toClient(row) : undefined;
  }

  /** Every client, ordered by id. */
  async list(): Promise<Client[]> {
    const rows = await this.dataSource
      .getRepository(ClientEntity)
      .find({ order: { clientId: 'ASC' } });
    return rows.map(toClient);
  }

  /** Changes what a client may do; its secret stays. Undefined when there is no such client. */
  async update(
    clientId: string,
    changes: Partial<Pick<Client, 'profile' | 'audiences' | 'scopes'>>,
  ): Promise<Client | undefined> {
    const repository = this.dataSource.getRepository(ClientEntity);
    const row = await repository.findOneBy({ clientId });
    if (!row) return undefined;
    if (changes.profile !== undefined) row.profile = changes.profile;
    if (changes.audiences !== undefined) row.audiences = JSON.stringify(changes.audiences);
    if (changes.scopes !== undefined) row.scopes = JSON.stringify(changes.scopes);
    await repository.save(row);
    return toClient(row);
  }

  /** Replaces the secret; the old one stops working at once. False when there is no such client. */
  async setSecret(clientId: string, secret: string): Promise<boolean> {
    const result = await this.dataSource
      .getRepository(ClientEntity)
      .update({ clientId }, { secretHash: await hashClientSecret(secret) });
    this.verified.delete(clientId);
    return (result.affected ?? 0) > 0;
  }

  /** False when there is no such client. */
  async delete(clientId: string): Promise<boolean> {
    const result = await this.dataSource.getRepository(ClientEntity).delete({ clientId });
    this.verified.delete(clientId);
    return (result.affected ?? 0) > 0;
  }

  /** The client when the secret matches; undefined otherwise (unknown id or wrong secret alike). */
  async authenticate(clientId: string, secret: string): Promise<Client | undefined> {
    const row = await this.dataSource.getRepository(ClientEntity).findOneBy({ clientId });
    if (!row) {
      await verifyClientSecret(secret, await DUMMY_HASH);
      return undefined;
    }
    const digest = secretDigest(secret);
    const known = this.verified.get(clientId);
    if (known?.secretHash === row.secretHash && timingSafeEqual(known.digest, digest))
      return toClient(row);
    if (!(await verifyClientSecret(secret, row.secretHash))) return undefined;
    this.verified.set(clientId, { secretHash: row.secretHash, digest });
    return toClient(row);
  }
}
