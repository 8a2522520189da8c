import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CLOCK, type Clock } from '../common/clock';
import { Errors } from '../common/errors';
import { STS_CONFIG, type StsConfig } from '../config/config';
import { SECRET_PLACEHOLDER } from '../config/file.schema';
import { ConfigError, type ConfigProblem } from '../common/validation';
import { ConsumerService } from '../consumers/consumer.service';
import {
  isSealed,
  ProfileEntity,
  profileSecretAad as aadFor,
  type SealedValue,
} from '../database/profile.entity';
import { StoreSync } from '../database/store-sync';
import { MasterKeyRing } from '../keys/master-key';
import { AuditLog } from '../logging/audit-log';
import type { ManagedBy } from '../database/columns';
import { PROFILE_SECRET_FIELDS, type Profile } from '../config/profile-parameters';
import { validateProfile } from '../config/profile.schema';

/**
 * Profiles: the file's are applied at boot (create-or-update by name) and those it wrote and no
 * longer declares removed; every stored one is validated and held in memory; the admin API writes through `save`/`delete`, and
 * `sync` picks up what other instances sharing the database wrote.
 */
@Injectable()
export class ProfileService implements OnModuleInit {
  private readonly logger = new Logger(ProfileService.name);
  private readonly profiles = new Map<string, Profile>();
  /** Each profile's parameters as given (no defaults, secrets in clear): what export shows. */
  private readonly given = new Map<string, Record<string, unknown>>();
  /** The stored row text each held profile came from, to spot changes by other instances. */
  private readonly storedText = new Map<string, string>();
  /** Stored versions `sync` found invalid: logged once, not every round. */
  private readonly rejectedText = new Map<string, string>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly storeSync: StoreSync,
    private readonly masterKeys: MasterKeyRing,
    private readonly consumers: ConsumerService,
    private readonly audit: AuditLog,
    @Inject(STS_CONFIG) private readonly config: StsConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    this.storeSync.register('profile and consumer', () => this.sync());
    this.consumers.addReferenceCheck((consumer) =>
      this.list()
        .filter((p) => [consumer.id, consumer.username].includes(p.credentials?.anonymous ?? null))
        .map((p) => `profile "${p.name}" (its anonymous consumer)`),
    );
    for (const raw of this.config.file.profiles) await this.write(raw, 'file');
    await this.removeUndeclared();
    const problems: ConfigProblem[] = [];
    const rows = await this.dataSource.getRepository(ProfileEntity).find();
    for (const row of rows) {
      const raw = this.decrypt(row);
      const result = this.validate(raw, `profile "${row.name}"`);
      if (result.profile) this.hold(row, raw, result.profile);
      problems.push(...result.problems);
    }
    if (problems.length > 0) throw new ConfigError(problems);
    for (const profile of this.profiles.values()) {
      if (
        profile.verify_access_token_signature === false ||
        profile.verify_channel_token_signature === false
      )
        this.logger.warn(`profile "${profile.name}" accepts tokens without checking signatures`);
    }
  }

  /**
   * Applies consumers, then profiles, another instance created, changed or deleted (a profile
   * may name a consumer). A stored profile this instance cannot validate (e.g. a newer version's
   * parameter) is logged once and the held one kept.
   */
  async sync(): Promise<void> {
    await this.consumers.sync();
    const rows = await this.dataSource.getRepository(ProfileEntity).find();
    for (const row of rows) {
      if ([this.storedText, this.rejectedText].some((held) => held.get(row.name) === row.config))
        continue;
      const raw = this.decrypt(row);
      const result = this.validate(raw, `profile "${row.name}"`);
      if (result.profile) {
        this.hold(row, raw, result.profile);
        continue;
      }
      this.rejectedText.set(row.name, row.config);
      this.logger.error(
        `stored profile "${row.name}" is not valid here: ${result.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      );
    }
    const names = new Set(rows.map((row) => row.name));
    for (const name of [...this.profiles.keys()]) if (!names.has(name)) this.forget(name);
  }

  /**
   * The validated profile, Kong defaults applied; 404 when there is none of that name. An edited
   * profile is a new object, so what is derived from one (policies, signing settings, caches) can
   * be kept per object.
   */
  get(name: string): Profile {
    const profile = this.profiles.get(name);
    if (!profile) throw Errors.notFound(`profile "${name}"`);
    return profile;
  }

  list(): Profile[] {
    return [...this.profiles.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The parameters as given, without defaults; undefined when there is no such profile. */
  parameters(name: string): Readonly<Record<string, unknown>> | undefined {
    return this.given.get(name);
  }

  /**
   * Create-or-update by name; the parameters are validated as at start-up (400 listing problems).
   * A secret given as the export's placeholder keeps the stored value, so a profile read from the
   * admin API can be edited and sent back.
   */
  async save(input: Record<string, unknown>): Promise<Profile> {
    const stored = this.given.get(String(input.name));
    const raw = { ...input };
    for (const field of PROFILE_SECRET_FIELDS) {
      if (raw[field] === SECRET_PLACEHOLDER && stored?.[field] !== undefined)
        raw[field] = stored[field];
    }
    const result = this.validate(raw, 'profile');
    if (!result.profile) {
      throw Errors.invalidRequest(result.problems.map((p) => `${p.path}: ${p.message}`).join('; '));
    }
    this.hold(await this.write(raw, 'api'), raw, result.profile);
    return result.profile;
  }

  async delete(name: string): Promise<void> {
    if (!this.profiles.has(name)) throw Errors.notFound(`profile "${name}"`);
    await this.dataSource.getRepository(ProfileEntity).delete({ name });
    this.forget(name);
  }

  /** Before any stored profile is validated: one the file no longer declares may not be valid any more. */
  private async removeUndeclared(): Promise<void> {
    const repository = this.dataSource.getRepository(ProfileEntity);
    const declared = new Set(this.config.file.profiles.map((raw) => String(raw.name)));
    const rows = await repository.findBy({ managedBy: 'file' });
    await this.audit.removeUndeclared(
      'profile',
      rows
        .filter((row) => !declared.has(row.name))
        .map((row) => ({ name: row.name, remove: () => repository.delete({ name: row.name }) })),
    );
  }

  private hold(row: ProfileEntity, raw: Record<string, unknown>, profile: Profile): void {
    this.profiles.set(row.name, profile);
    this.given.set(row.name, raw);
    this.storedText.set(row.name, row.config);
  }

  private forget(name: string): void {
    this.profiles.delete(name);
    this.given.delete(name);
    this.storedText.delete(name);
  }

  private validate(
    raw: Record<string, unknown>,
    at: string,
  ): { profile?: Profile; problems: ConfigProblem[] } {
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
    return { profile, problems };
  }

  /** Upserts the profile as given (without defaults), secrets encrypted; unchanged rows stay. */
  private async write(raw: Record<string, unknown>, managedBy: ManagedBy): Promise<ProfileEntity> {
    const name = raw.name as string;
    const repository = this.dataSource.getRepository(ProfileEntity);
    const existing = await repository.findOneBy({ name });
    if (
      existing?.managedBy === managedBy &&
      JSON.stringify(this.decrypt(existing)) === JSON.stringify(raw)
    )
      return existing;
    const now = this.clock.now();
    return repository.save({
      id: existing?.id ?? randomUUID(),
      name,
      config: JSON.stringify(this.encrypt(raw)),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
      managedBy,
    });
  }

  private encrypt(raw: Record<string, unknown>): Record<string, unknown> {
    const out = { ...raw };
    for (const field of PROFILE_SECRET_FIELDS) {
      const value = out[field];
      if (typeof value !== 'string') continue;
      const { ciphertext, keyId } = this.masterKeys.encrypt(value, aadFor(String(raw.name), field));
      out[field] = { $encrypted: ciphertext, $key: keyId } satisfies SealedValue;
    }
    return out;
  }

  private decrypt(row: ProfileEntity): Record<string, unknown> {
    const stored = JSON.parse(row.config) as Record<string, unknown>;
    for (const field of PROFILE_SECRET_FIELDS) {
      const value = stored[field];
      if (isSealed(value))
        stored[field] = this.masterKeys.decrypt(
          value.$encrypted,
          value.$key,
          aadFor(row.name, field),
        );
    }
    return stored;
  }
}
