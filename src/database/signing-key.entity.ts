import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { epochMillis } from './columns';
import { KeysetEntity } from './keyset.entity';

/** Binds a sealed private JWK to its row (AES-GCM additional data). */
export const privateJwkAad = (keysetId: string, kid: string): string =>
  `sts-keyset:${keysetId}:${kid}`;

export type KeyStatus = 'next' | 'current' | 'previous';

/** One key of a keyset. The private JWK is stored only as AES-256-GCM ciphertext. */
@Entity('signing_keys')
@Index(['keysetId', 'kid'], { unique: true })
export class SigningKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ name: 'keyset_id', type: 'varchar', length: 36 }) keysetId!: string;
  @ManyToOne(() => KeysetEntity, (keyset) => keyset.keys, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'keyset_id' })
  keyset?: KeysetEntity;
  @Column({ type: 'varchar', length: 128 }) kid!: string;
  @Column({ type: 'varchar', length: 16 }) alg!: string;
  @Column({ type: 'varchar', length: 16 }) status!: KeyStatus;
  /** Position in the keyset's history (1 = first key); orders rotations without trusting clocks. */
  @Column({ type: 'integer' }) generation!: number;
  /** Public JWK as JSON text (null for HMAC keys, which have no public part). */
  @Column({ name: 'public_jwk', type: 'text', nullable: true }) publicJwk!: string | null;
  /** base64url(nonce | ciphertext | tag) of the private JWK JSON. */
  @Column({ name: 'private_jwk_encrypted', type: 'text' }) privateJwkEncrypted!: string;
  /** Which master key encrypted it, so the master key can be rotated. */
  @Column({ name: 'master_key_id', type: 'varchar', length: 32 }) masterKeyId!: string;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMillis }) createdAt!: number;
  /** current: when it started signing; next: when it is scheduled to (pre-published until then). */
  @Column({ name: 'activated_at', type: 'bigint', nullable: true, transformer: epochMillis })
  activatedAt!: number | null;
  @Column({ name: 'retired_at', type: 'bigint', nullable: true, transformer: epochMillis })
  retiredAt!: number | null;
}
