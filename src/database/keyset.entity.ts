import { Column, Entity, OneToMany, PrimaryColumn } from 'typeorm';
import { epochMillis, ManagedByColumn, type ManagedBy } from './columns';
import { SigningKeyEntity } from './signing-key.entity';

@Entity('keysets')
export class KeysetEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 64, unique: true }) name!: string;
  @Column({ type: 'varchar', length: 16 }) algorithm!: string;
  @Column({ name: 'rsa_bits', type: 'integer', nullable: true }) rsaBits!: number | null;
  /** Previous keys kept published after a rotation. */
  @Column({ type: 'integer', default: 1 }) retain!: number;
  /** Scheduled rotation interval in seconds; null = manual only. */
  @Column({ name: 'rotation_period', type: 'integer', nullable: true })
  rotationPeriod!: number | null;
  /** Seconds the next key is published before it starts signing. */
  @Column({ type: 'integer', default: 3600 }) prepublish!: number;
  /** Longest lifetime (seconds) of a token the keyset signs; bounds how long retired keys stay. */
  @Column({ name: 'max_token_lifetime', type: 'integer', default: 3600 })
  maxTokenLifetime!: number;
  /**
   * Bumped by every change to the keyset or its keys, inside the same transaction and only if it
   * still holds the value read before (optimistic concurrency): two instances sharing a database
   * never both apply a rotation step, and each sees the other's changes by comparing revisions.
   */
  @Column({ type: 'integer', default: 0 }) revision!: number;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMillis }) createdAt!: number;
  @ManagedByColumn() managedBy!: ManagedBy;
  /**
   * Set when the file stopped declaring the keyset: no key signs, every key stays published until
   * the tokens it signed have expired, then the keyset goes.
   */
  @Column({ name: 'retired_at', type: 'bigint', nullable: true, transformer: epochMillis })
  retiredAt!: number | null;
  @OneToMany(() => SigningKeyEntity, (key) => key.keyset) keys?: SigningKeyEntity[];
}
