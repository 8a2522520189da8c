import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Errors } from '../common/errors';
import { STS_CONFIG, type StsConfig } from '../config/config';
import { formatDuration, parseDurationSeconds } from '../config/duration';
import type { KeysetConfig } from '../config/file.schema';
import { KeyRegistry, type KeysetDescription } from '../keys/key-registry';
import { KeysetRotation } from '../keys/keyset-rotation';
import { KeysetService } from '../keys/keyset.service';
import { MasterKeyRing } from '../keys/master-key';
import { rekeyStore } from '../keys/rekey';
import { toRotationSettings, type RotationSettings } from '../config/rotation';
import type { PublicJwk } from '../openapi/schemas';
import type { RekeyResult } from './admin.dto';
import { AuditLog } from '../logging/audit-log';
import { isoTime } from './iso-time';
import { assertNotInFile } from './file-ownership';
import type { KeysetUpdateRequest, KeysetView, RotationView } from './keysets.dto';

/** Rotation settings as the file spells them (also the export's). */
export function rotationBlock(settings: RotationSettings): RotationView {
  return {
    ...(settings.periodSeconds !== null ? { period: formatDuration(settings.periodSeconds) } : {}),
    prepublish: formatDuration(settings.prepublishSeconds),
    retain: settings.retain,
    max_token_lifetime: formatDuration(settings.maxTokenLifetimeSeconds),
  };
}

/** A keyset as the declarative file declares it: settings only, never keys. */
export function keysetDeclaration(keyset: KeysetDescription): KeysetConfig {
  if (keyset.external) {
    return {
      name: keyset.name,
      ...(keyset.algorithm ? { algorithm: keyset.algorithm } : {}),
      jwks_url: keyset.external.jwksUrl,
      ...(keyset.external.refreshSeconds !== undefined
        ? { refresh: formatDuration(keyset.external.refreshSeconds) }
        : {}),
    };
  }
  return {
    name: keyset.name,
    algorithm: keyset.algorithm,
    ...(keyset.stored?.rsaBits ? { rsa_bits: keyset.stored.rsaBits } : {}),
    rotation: rotationBlock(keyset.stored!.rotation),
  };
}

/** Keysets through the admin API: views without private members, audit, file ownership. */
@Injectable()
export class KeysetsAdminService {
  constructor(
    private readonly keysets: KeysetService,
    private readonly registry: KeyRegistry,
    private readonly rotation: KeysetRotation,
    private readonly audit: AuditLog,
    private readonly dataSource: DataSource,
    private readonly masterKeys: MasterKeyRing,
    @Inject(STS_CONFIG) private readonly config: StsConfig,
  ) {}

  list(): KeysetView[] {
    return this.registry.list().map((keyset) => this.view(keyset));
  }

  get(name: string): KeysetView {
    return this.view(this.registry.describe(name));
  }

  create(request: KeysetConfig): Promise<KeysetView> {
    return this.audit.track('create', 'keyset', request.name, async () => {
      assertNotInFile('keyset', request.name, this.config.file.keysets);
      if (request.jwks_url !== undefined || request.refresh !== undefined) {
        throw Errors.invalidRequest(
          'keysets with jwks_url are declared in the configuration file, not through the admin API',
        );
      }
      if (request.algorithm === undefined) throw Errors.invalidRequest('algorithm is required');
      return this.view(
        await this.keysets.create({
          name: request.name,
          algorithm: request.algorithm,
          rsaBits: request.rsa_bits ?? null,
          rotation: toRotationSettings(request.rotation),
        }),
      );
    });
  }

  update(name: string, request: KeysetUpdateRequest): Promise<KeysetView> {
    return this.audit.track('update', 'keyset', name, async () => {
      this.registry.describe(name);
      assertNotInFile('keyset', name, this.config.file.keysets);
      return this.view(
        await this.keysets.update(name, { rsaBits: request.rsa_bits, rotation: request.rotation }),
      );
    });
  }

  delete(name: string): Promise<void> {
    return this.audit.track('delete', 'keyset', name, async () => {
      this.registry.describe(name);
      assertNotInFile('keyset', name, this.config.file.keysets);
      await this.keysets.delete(name);
    });
  }

  rotate(name: string, prepublish: string | undefined): Promise<KeysetView> {
    return this.audit.track('rotate', 'keyset', name, async () => {
      await this.rotation.rotate(name, { prepublishSeconds: parseDurationSeconds(prepublish) });
      return this.get(name);
    });
  }

  /** Re-encrypts every sealed value (private keys, stored secrets) under the primary master key. */
  rekey(): Promise<RekeyResult> {
    return this.audit.track('rekey', 'master_key', 'primary', async () => {
      const { rekeyed, total, masterKeyId } = await rekeyStore(this.dataSource, this.masterKeys);
      return { rekeyed, total, master_key_id: masterKeyId };
    });
  }

  private view(keyset: KeysetDescription): KeysetView {
    const declaration = keysetDeclaration(keyset);
    return {
      name: keyset.name,
      algorithm: keyset.algorithm,
      managed_by: this.config.file.keysets.some((k) => k.name === keyset.name) ? 'file' : 'api',
      ...(keyset.stored
        ? {
            rsa_bits: keyset.stored.rsaBits,
            rotation: declaration.rotation as RotationView,
            next_rotation_at: isoTime(keyset.stored.scheduledRotationAt),
            retired_at: isoTime(keyset.stored.retiredAt),
          }
        : { jwks_url: declaration.jwks_url, refresh: declaration.refresh as string | undefined }),
      keys: keyset.keys.map((key) => ({
        kid: key.kid,
        alg: key.alg,
        status: key.status,
        created_at: isoTime(key.createdAt)!,
        active_from: isoTime(key.activeFrom),
        retired_at: isoTime(key.retiredAt),
        retained_until: isoTime(key.retainedUntil),
        ...(key.publicJwk ? { jwk: key.publicJwk as PublicJwk } : {}),
      })),
    };
  }
}
