import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ClientService, type Client } from '../clients/client.service';
import { generateClientSecret } from '../clients/client-secret';
import { Errors } from '../common/errors';
import { STS_CONFIG, type StsConfig } from '../config/config';
import { ProfileService } from '../profiles/profile.service';
import { AuditLog } from '../logging/audit-log';
import type {
  ClientCreateRequest,
  ClientUpdateRequest,
  ClientView,
  ClientWithSecret,
} from './clients.dto';
import { declaredInFile } from './file-ownership';

/** RFC 8693 clients through the admin API; the secret is shown once, at creation or reset. */
@Injectable()
export class ClientsAdminService {
  constructor(
    private readonly clients: ClientService,
    private readonly profiles: ProfileService,
    private readonly audit: AuditLog,
    @Inject(STS_CONFIG) private readonly config: StsConfig,
  ) {}

  async list(): Promise<ClientView[]> {
    return (await this.clients.list()).map((client) => this.view(client));
  }

  async get(clientId: string): Promise<ClientView> {
    return this.view(await this.existing(clientId));
  }

  create(request: ClientCreateRequest): Promise<ClientWithSecret> {
    const clientId = request.client_id ?? randomUUID();
    return this.audit.track('create', 'client', clientId, async () => {
      this.assertProfile(request.profile);
      this.assertNotInFile(clientId);
      if (await this.clients.get(clientId)) throw Errors.conflict(`client "${clientId}" exists`);
      const secret = request.client_secret ?? generateClientSecret();
      const client = await this.clients.upsert(
        {
          client_id: clientId,
          client_secret: secret,
          profile: request.profile,
          audiences: request.audiences,
          scopes: request.scopes,
        },
        'api',
      );
      return { ...this.view(client), client_secret: secret };
    });
  }

  update(clientId: string, request: ClientUpdateRequest): Promise<ClientView> {
    return this.audit.track('update', 'client', clientId, async () => {
      await this.existing(clientId);
      this.assertNotInFile(clientId);
      if (request.profile !== undefined) this.assertProfile(request.profile);
      return this.view((await this.clients.update(clientId, request))!);
    });
  }

  /** A new generated secret; the old one stops working at once. */
  resetSecret(clientId: string): Promise<ClientWithSecret> {
    return this.audit.track('update', 'client_secret', clientId, async () => {
      const client = await this.existing(clientId);
      this.assertNotInFile(clientId);
      const secret = generateClientSecret();
      await this.clients.setSecret(clientId, secret);
      return { ...this.view(client), client_secret: secret };
    });
  }

  delete(clientId: string): Promise<void> {
    return this.audit.track('delete', 'client', clientId, async () => {
      await this.existing(clientId);
      this.assertNotInFile(clientId);
      await this.clients.delete(clientId);
    });
  }

  private async existing(clientId: string): Promise<Client> {
    const client = await this.clients.get(clientId);
    if (!client) throw Errors.notFound(`client "${clientId}"`);
    return client;
  }

  private assertProfile(name: string): void {
    if (!this.profiles.parameters(name))
      throw Errors.invalidRequest(`profile: there is no profile "${name}"`);
  }

  private assertNotInFile(clientId: string): void {
    if (this.declared(clientId)) throw declaredInFile('client', clientId);
  }

  private declared(clientId: string): boolean {
    return this.config.file.clients.some((client) => client.client_id === clientId);
  }

  private view(client: Client): ClientView {
    return {
      client_id: client.clientId,
      profile: client.profile,
      audiences: client.audiences,
      scopes: client.scopes,
      managed_by: this.declared(client.clientId) ? 'file' : 'api',
    };
  }
}
