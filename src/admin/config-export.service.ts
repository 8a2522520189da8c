import { Inject, Injectable } from '@nestjs/common';
import { ClientService } from '../clients/client.service';
import { STS_CONFIG, type StsConfig } from '../config/config';
import {
  SECRET_PLACEHOLDER,
  type ClientConfig,
  type ConsumerConfig,
  type KeysetConfig,
  type SignerConfig,
} from '../config/file.schema';
import { isHmac } from '../config/algorithms';
import { KeyRegistry } from '../keys/key-registry';
import { KrakendSignerService } from '../signing/krakend-signer.service';
import { ProfileService } from '../profiles/profile.service';
import { ConsumersAdminService } from './consumers-admin.service';
import type { ConsumerView } from './consumers.dto';
import { keysetDeclaration } from './keysets-admin.service';
import { profileDeclaration } from './profiles-admin.service';

/** The live configuration in the declarative file's shape. */
export interface ExportedConfig {
  issuer: string;
  keysets: KeysetConfig[];
  signers: SignerConfig[];
  profiles: Record<string, unknown>[];
  consumers: ConsumerConfig[];
  clients: ClientConfig[];
}

/**
 * `GET /admin/config`: what is configured now (the file's entities and the admin API's alike) in
 * the declarative file's format, so it can be kept as `STS_CONFIG` and applied elsewhere. Keys
 * are state, not configuration, and never leave; every section is ordered by name and every
 * duration spelled canonically, so export → import → export gives the same text. Every secret
 * is written as `[REDACTED]`, which the file refuses until the operator puts the secret back.
 */
@Injectable()
export class ConfigExportService {
  constructor(
    private readonly keysets: KeyRegistry,
    private readonly signers: KrakendSignerService,
    private readonly profiles: ProfileService,
    private readonly consumers: ConsumersAdminService,
    private readonly clients: ClientService,
    @Inject(STS_CONFIG) private readonly config: StsConfig,
  ) {}

  async export(): Promise<ExportedConfig> {
    await this.consumers.caughtUp();
    return {
      issuer: this.config.issuer,
      keysets: this.keysets.list().map(keysetDeclaration),
      signers: this.signers.list(),
      profiles: this.profiles
        .list()
        .map((profile) => profileDeclaration(this.profiles.parameters(profile.name)!)),
      consumers: this.consumers.list().map((consumer) => this.consumerDeclaration(consumer)),
      clients: (await this.clients.list()).map((client) => ({
        client_id: client.clientId,
        client_secret: SECRET_PLACEHOLDER,
        profile: client.profile,
        audiences: client.audiences,
        scopes: client.scopes,
      })),
    };
  }

  private consumerDeclaration(consumer: ConsumerView): ConsumerConfig {
    const credentials = this.consumers.credentials(consumer.id);
    return {
      id: consumer.id,
      ...(consumer.username !== null ? { username: consumer.username } : {}),
      ...(consumer.custom_id !== null ? { custom_id: consumer.custom_id } : {}),
      ...(credentials.length > 0
        ? {
            jwt_secrets: credentials.map(({ key, algorithm, rsa_public_key }) =>
              isHmac(algorithm)
                ? { key, algorithm, secret: SECRET_PLACEHOLDER }
                : { key, algorithm, rsa_public_key: rsa_public_key! },
            ),
          }
        : {}),
    };
  }
}
