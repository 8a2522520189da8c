import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMillis, ManagedByColumn, type ManagedBy } from './columns';

/** A secret parameter inside a stored profile's JSON, sealed with the master key. */
export interface SealedValue {
  $encrypted: string;
  $key: string;
}

export const isSealed = (value: unknown): value is SealedValue =>
  typeof value === 'object' && value !== null && '$encrypted' in value && '$key' in value;

/** Binds a sealed parameter to its profile and field (AES-GCM additional data). */
export const profileSecretAad = (profile: string, field: string): string =>
  `sts-profile:${profile}:${field}`;

/**
 * One profile (a Kong JWT Signer `config:` block) as given, without defaults, so a changed
 * default (e.g. the service issuer) applies at the next load. Secret parameters inside the JSON
 * are stored encrypted with the master key.
 */
@Entity('profiles')
export class ProfileEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 64, unique: true }) name!: string;
  @Column({ type: 'text' }) config!: string;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMillis }) createdAt!: number;
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMillis }) updatedAt!: number;
  @ManagedByColumn() managedBy!: ManagedBy;
}
