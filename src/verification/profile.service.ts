import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CLOCK, type Clock } from '../common/clock';
import { Errors } from '../common/errors';
import { STS_CONFIG, type StsConfig } from '../config/config';
import { ConfigError, type ConfigProblem } from '../config/validate';
import { ConsumerService } from '../consumers/consumer.service';
import { ProfileEntity } from '../database/profile.entity';
import { MasterKeyRing } from '../keys/master-key';
import { compileProfile, type CompiledProfile } from './profile.compiler';
import { fieldName, TOKEN_KINDS, validateProfile, type Profile } from './profile.schema';
import { RemoteJwksCache } from './remote-jwks.cache';

/** Parameters holding credentials: stored encrypted inside the profile's JSON. */
const SECRET_FIELDS = TOKEN_KINDS.flatMap((token) =>
  (
    [
      '{t}_introspection_authorization',
      '{t}_jwks_uri_client_password',
      '{t}_keyset_client_password',
    ] as const
  ).map((template) => fieldName(template, token)),
);

interface EncryptedValue {
  $encrypted: string;
  $key: string;
}

const isEncrypted = (value: unknown): value is EncryptedValue =>
  typeof value === 'object' && value !== null && '$encrypted' in value && '$key' in value;

const aadFor = (profile: string, field: string): string => `sts-profile:${profile}:${field}`;

/**
 * Profiles: the file's are applied at boot (create-or-update by name), every stored one is
 * validated, compiled and held in memory; the admin API will write through `save`/`delete`.
 */
@Injectable()
export class ProfileService implements OnModuleInit {
  private readonly logger = new Logger(ProfileService.name);
  private compiled = new Map<string, CompiledProfile>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly masterKeys: MasterKeyRing,
    private readonly consumers: ConsumerService,
    private readonly jwks: RemoteJwksCache,
    @Inject(STS_CONFIG) private readonly config: StsConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    for (const raw of this.config.file.profiles) await this.write(raw);
    const problems: ConfigProblem[] = [];
    const rows = await this.dataSource.getRepository(ProfileEntity).find();
    for (const row of rows) {
      const result = this.compile(this.decrypt(row), `profile "${row.name}"`);
      if (result.profile) this.compiled.set(row.name, result.profile);
      problems.push(...result.problems);
    }
    if (problems.length > 0) throw new ConfigError(problems);
    for (const { profile } of this.compiled.values()) {
      if (
        profile.verify_access_token_signature === false ||
        profile.verify_channel_token_signature === false
      )
        this.logger.warn(`profile "${profile.name}" accepts tokens without checking signatures`);
    }
    // A failing IdP is logged and retried on use; it never stops start-up.
    await this.jwks.warm();
  }

  /** The validated profile, Kong defaults applied; 404 when there is none of that name. */
  get(name: string): Profile {
    return this.compiledProfile(name).profile;
  }

  list(): Profile[] {
    return [...this.compiled.values()]
      .map(({ profile }) => profile)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** For the verification service: the profile resolved into per-slot policies. */
  compiledProfile(name: string): CompiledProfile {
    const compiled = this.compiled.get(name);
    if (!compiled) throw Errors.notFound(`profile "${name}"`);
    return compiled;
  }

  /** Create-or-update by name; the parameters are validated as at start-up (400 listing problems). */
  async save(raw: Record<string, unknown>): Promise<Profile> {
    const result = this.compile(raw, 'profile');
    if (!result.profile) {
      throw Errors.invalidRequest(result.problems.map((p) => `${p.path}: ${p.message}`).join('; '));
    }
    await this.write(raw);
    this.compiled.set(result.profile.profile.name, result.profile);
    return result.profile.profile;
  }

  async delete(name: string): Promise<void> {
    if (!this.compiled.has(name)) throw Errors.notFound(`profile "${name}"`);
    await this.dataSource.getRepository(ProfileEntity).delete({ name });
    this.compiled.delete(name);
  }

  private compile(
    raw: Record<string, unknown>,
    at: string,
  ): { profile?: CompiledProfile; problems: ConfigProblem[] } {
    const { profile, problems } = validateProfile(raw, at, {
      issuer: this.config.issuer,
      allowInsecureHttp: this.config.allowInsecureHttp,
    });
    if (!profile) return { problems };
    const anonymous = profile.credentials?.anonymous;
    if (anonymous && !this.consumers.findByReference(anonymous)) {
      return {
        problems: [
          {
            path: `${at}.credentials.anonymous`,
            message: `no consumer has id or username "${anonymous}"`,
          },
        ],
      };
    }
    return { profile: compileProfile(profile, (source) => this.jwks.register(source)), problems };
  }

  /** Upserts the profile as given (without defaults), secrets encrypted; unchanged rows stay. */
  private async write(raw: Record<string, unknown>): Promise<void> {
    const name = raw.name as string;
    const repository = this.dataSource.getRepository(ProfileEntity);
    const existing = await repository.findOneBy({ name });
    if (existing && JSON.stringify(this.decrypt(existing)) === JSON.stringify(raw)) return;
    const now = this.clock.now();
    await repository.save({
      id: existing?.id ?? randomUUID(),
      name,
      config: JSON.stringify(this.encrypt(raw)),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    });
  }

  private encrypt(raw: Record<string, unknown>): Record<string, unknown> {
    const out = { ...raw };
    for (const field of SECRET_FIELDS) {
      const value = out[field];
      if (typeof value !== 'string') continue;
      const { ciphertext, keyId } = this.masterKeys.encrypt(value, aadFor(String(raw.name), field));
      out[field] = { $encrypted: ciphertext, $key: keyId } satisfies EncryptedValue;
    }
    return out;
  }

  private decrypt(row: ProfileEntity): Record<string, unknown> {
    const stored = JSON.parse(row.config) as Record<string, unknown>;
    for (const field of SECRET_FIELDS) {
      const value = stored[field];
      if (isEncrypted(value))
        stored[field] = this.masterKeys.decrypt(
          value.$encrypted,
          value.$key,
          aadFor(row.name, field),
        );
    }
    return stored;
  }
}
