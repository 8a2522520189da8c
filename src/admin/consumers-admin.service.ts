import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Errors } from '../common/errors';
import { STS_CONFIG, type StsConfig } from '../config/config';
import {
  ConsumerService,
  type Consumer,
  type CredentialSummary,
} from '../consumers/consumer.service';
import { AuditLog } from '../logging/audit-log';
import type {
  ConsumerCreateRequest,
  ConsumerUpdateRequest,
  ConsumerView,
  JwtCredentialCreateRequest,
  JwtCredentialUpdateRequest,
  JwtCredentialView,
} from './consumers.dto';
import { declaredInFile } from './file-ownership';

/** Consumers and their Kong JWT credentials, in Kong's Admin API shape (never the secrets). */
@Injectable()
export class ConsumersAdminService {
  constructor(
    private readonly consumers: ConsumerService,
    private readonly audit: AuditLog,
    @Inject(STS_CONFIG) private readonly config: StsConfig,
  ) {}

  /** Ordered by username, then custom_id, then id, so pages are stable. */
  list(): ConsumerView[] {
    const order = (c: Consumer) => `${c.username ?? '\uffff'}\0${c.custom_id ?? ''}\0${c.id}`;
    return this.consumers
      .list()
      .sort((a, b) => order(a).localeCompare(order(b)))
      .map((consumer) => this.view(consumer));
  }

  get(reference: string): ConsumerView {
    return this.view(this.existing(reference));
  }

  create(request: ConsumerCreateRequest): Promise<ConsumerView> {
    const name = request.username ?? request.custom_id ?? request.id ?? '';
    return this.audit.track('create', 'consumer', name, async () => {
      await this.caughtUp();
      for (const field of ['id', 'username', 'custom_id'] as const) {
        const value = request[field];
        if (value !== undefined && this.consumers.find(field, value))
          throw Errors.conflict(`a consumer with ${field} "${value}" exists`);
      }
      if (
        this.declared({ id: request.id, username: request.username, custom_id: request.custom_id })
      )
        throw declaredInFile('consumer', name);
      return this.view(await this.consumers.save(request));
    });
  }

  update(reference: string, request: ConsumerUpdateRequest): Promise<ConsumerView> {
    return this.audit.track('update', 'consumer', reference, async () => {
      await this.caughtUp();
      const consumer = this.changeable(reference);
      const updated = await this.consumers.save({
        id: consumer.id,
        username: request.username ?? consumer.username ?? undefined,
        custom_id: request.custom_id ?? consumer.custom_id ?? undefined,
      });
      return this.view(updated);
    });
  }

  delete(reference: string): Promise<void> {
    return this.audit.track('delete', 'consumer', reference, async () => {
      await this.caughtUp();
      const consumer = this.changeable(reference);
      const users = this.consumers.usersOf(consumer);
      if (users.length > 0)
        throw Errors.conflict(`consumer "${reference}" is used by ${users.join(', ')}`);
      await this.consumers.delete(consumer.id);
    });
  }

  credentials(reference: string): JwtCredentialView[] {
    return this.consumers
      .credentialsOf(this.existing(reference).id)
      .sort((a, b) => a.key.localeCompare(b.key))
      .map((credential) => this.credentialView(credential));
  }

  credential(reference: string, keyOrId: string): JwtCredentialView {
    return this.credentialView(this.existingCredential(reference, keyOrId));
  }

  addCredential(
    reference: string,
    request: JwtCredentialCreateRequest,
  ): Promise<JwtCredentialView> {
    const key = request.key ?? randomBytes(16).toString('hex');
    return this.audit.track('create', 'jwt_credential', key, async () => {
      await this.caughtUp();
      const consumer = this.existing(reference);
      if (this.consumers.credential(key))
        throw Errors.conflict(`a JWT credential with key "${key}" exists`);
      if (this.declaredKey(key)) throw declaredInFile('JWT credential', key);
      return this.credentialView(
        await this.consumers.addCredential(consumer.id, { ...request, key }),
      );
    });
  }

  updateCredential(
    reference: string,
    keyOrId: string,
    request: JwtCredentialUpdateRequest,
  ): Promise<JwtCredentialView> {
    return this.audit.track('update', 'jwt_credential', keyOrId, async () => {
      await this.caughtUp();
      const { key, consumer_id } = this.existingCredential(reference, keyOrId);
      if (this.declaredKey(key)) throw declaredInFile('JWT credential', key);
      const held = this.consumers.credential(key)!;
      return this.credentialView(
        await this.consumers.addCredential(consumer_id, {
          key,
          algorithm: request.algorithm ?? held.algorithm,
          secret: request.secret ?? held.secret,
          rsa_public_key: request.rsa_public_key ?? held.rsa_public_key,
        }),
      );
    });
  }

  removeCredential(reference: string, keyOrId: string): Promise<void> {
    return this.audit.track('delete', 'jwt_credential', keyOrId, async () => {
      await this.caughtUp();
      const { key } = this.existingCredential(reference, keyOrId);
      if (this.declaredKey(key)) throw declaredInFile('JWT credential', key);
      await this.consumers.removeCredential(key);
    });
  }

  /**
   * The admin API answers what the store holds, not what this instance has applied so far: a
   * consumer created through another instance a moment ago can be read, changed or given a
   * credential here at once (behind a load balancer, the next call lands anywhere). The
   * incremental sync reads one row when nothing changed. Writes call it; readers call it first.
   */
  caughtUp(): Promise<void> {
    return this.consumers.sync();
  }

  private existing(reference: string): Consumer {
    const consumer = this.consumers.findByReference(reference);
    if (!consumer) throw Errors.notFound(`consumer "${reference}"`);
    return consumer;
  }

  private changeable(reference: string): Consumer {
    const consumer = this.existing(reference);
    if (this.declared(consumer)) throw declaredInFile('consumer', reference);
    return consumer;
  }

  private existingCredential(reference: string, keyOrId: string): CredentialSummary {
    const found = this.consumers
      .credentialsOf(this.existing(reference).id)
      .find((credential) => credential.key === keyOrId || credential.id === keyOrId);
    if (!found) throw Errors.notFound(`JWT credential "${keyOrId}" of consumer "${reference}"`);
    return found;
  }

  /** The file names a consumer by id, else username, else custom_id (as it applies them). */
  private declared(consumer: {
    id?: string | null;
    username?: string | null;
    custom_id?: string | null;
  }): boolean {
    return this.config.file.consumers.some((declared) =>
      (['id', 'username', 'custom_id'] as const).some(
        (field) =>
          declared[field] !== undefined &&
          consumer[field] !== undefined &&
          declared[field] === consumer[field],
      ),
    );
  }

  private declaredKey(key: string): boolean {
    return this.config.file.consumers.some((c) => c.jwt_secrets?.some((s) => s.key === key));
  }

  private view(consumer: Consumer): ConsumerView {
    return { ...consumer, managed_by: this.declared(consumer) ? 'file' : 'api' };
  }

  private credentialView(credential: CredentialSummary): JwtCredentialView {
    return {
      id: credential.id,
      key: credential.key,
      algorithm: credential.algorithm,
      rsa_public_key: credential.rsa_public_key,
      consumer: { id: credential.consumer_id },
      managed_by: this.declaredKey(credential.key) ? 'file' : 'api',
    };
  }
}
