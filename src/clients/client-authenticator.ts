import { Injectable } from '@nestjs/common';
import { Errors } from '../common/errors';
import { invalidClient, readClientCredentials } from './client-auth';
import { ClientService, type Client } from './client.service';

/** Form parsing and client authentication shared by the OAuth endpoints (/exchange, /introspect). */
@Injectable()
export class ClientAuthenticator {
  constructor(private readonly clients: ClientService) {}

  /** The parsed form body; OAuth endpoints take `application/x-www-form-urlencoded` only. */
  formOf(body: unknown): Record<string, unknown> {
    if (typeof body !== 'object' || body === null || Array.isArray(body) || Buffer.isBuffer(body)) {
      throw Errors.invalidRequest('the body must be application/x-www-form-urlencoded');
    }
    return body as Record<string, unknown>;
  }

  async authenticate(
    authorization: string | undefined,
    form: Record<string, unknown>,
  ): Promise<Client> {
    const credentials = readClientCredentials(authorization, form);
    const client = await this.clients.authenticate(credentials.clientId, credentials.secret);
    if (!client)
      throw invalidClient(
        'client authentication failed',
        credentials.method === 'client_secret_basic',
      );
    return client;
  }
}
