import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CLOCK, type Clock } from '../common/clock';
import type { SignerConfig, SignerOptions } from '../config/file.schema';
import type { ManagedBy } from '../database/columns';
import { SignerEntity } from '../database/signer.entity';

/** KrakenD's option names in the order they are written back out (stored, exported). */
const OPTION_ORDER: readonly (keyof SignerOptions)[] = [
  'alg',
  'kid',
  'typ',
  'keys_to_sign',
  'keys-to-sign',
  'jwk_url',
  'jwk-url',
  'jwk_local_path',
  'keyset',
  'full',
  'disable_jwk_security',
  'jwk_fingerprints',
  'jwk_local_ca',
  'cipher_suites',
  'backend',
];

/** A signer as plain data in a fixed member order, so stored and exported text is stable. */
export function canonicalSigner(signer: SignerConfig): SignerConfig {
  const out: Record<string, unknown> = { name: signer.name };
  for (const key of OPTION_ORDER) if (signer[key] !== undefined) out[key] = signer[key];
  return out as unknown as SignerConfig;
}

/** The stored text of a signer's options (all but the name), in canonical order. */
export function signerOptionsText(signer: SignerConfig): string {
  const options: Partial<SignerConfig> = canonicalSigner(signer);
  delete options.name;
  return JSON.stringify(options);
}

/** Signers in the database: the file's (written at boot) and the admin API's. */
@Injectable()
export class SignerStore {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async all(): Promise<{ signer: SignerConfig; text: string }[]> {
    const rows = await this.dataSource.getRepository(SignerEntity).find({ order: { name: 'ASC' } });
    return rows.map((row) => ({
      signer: { ...(JSON.parse(row.options) as SignerOptions), name: row.name },
      text: row.options,
    }));
  }

  /** Names of the signers the declarative file wrote. */
  async fileManaged(): Promise<string[]> {
    const rows = await this.dataSource
      .getRepository(SignerEntity)
      .find({ select: { name: true }, where: { managedBy: 'file' } });
    return rows.map((row) => row.name);
  }

  /** Creates or replaces by name; true when it was created. */
  async save(signer: SignerConfig, managedBy: ManagedBy): Promise<boolean> {
    const repository = this.dataSource.getRepository(SignerEntity);
    const now = this.clock.now();
    const existing = await repository.findOneBy({ name: signer.name });
    if (existing) {
      await repository.update(
        { id: existing.id },
        { options: signerOptionsText(signer), updatedAt: now, managedBy },
      );
      return false;
    }
    await repository.insert({
      id: randomUUID(),
      name: signer.name,
      options: signerOptionsText(signer),
      createdAt: now,
      updatedAt: now,
      managedBy,
    });
    return true;
  }

  async delete(name: string): Promise<void> {
    await this.dataSource.getRepository(SignerEntity).delete({ name });
  }
}
