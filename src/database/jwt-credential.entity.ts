import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { epochMillis, ManagedByColumn, type ManagedBy } from './columns';
import { ConsumerEntity } from './consumer.entity';

/** Binds a sealed HMAC secret to its credential (AES-GCM additional data). */
export const credentialSecretAad = (credentialId: string): string =>
  `sts-jwt-credential:${credentialId}`;

/** A Kong JWT credential (`jwt_secrets`). HMAC secrets are stored only as AES-256-GCM ciphertext. */
@Entity('jwt_credentials')
export class JwtCredentialEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ name: 'consumer_id', type: 'varchar', length: 36 }) consumerId!: string;
  @ManyToOne(() => ConsumerEntity, (consumer) => consumer.credentials, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'consumer_id' })
  consumer?: ConsumerEntity;
  /** The value tokens carry in `key_claim_name` (default `iss`). */
  @Column({ type: 'varchar', length: 255, unique: true }) key!: string;
  @Column({ type: 'varchar', length: 16 }) algorithm!: string;
  /** base64url(nonce | ciphertext | tag) of the secret; null for public-key credentials. */
  @Column({ name: 'secret_encrypted', type: 'text', nullable: true })
  secretEncrypted!: string | null;
  @Column({ name: 'master_key_id', type: 'varchar', length: 32, nullable: true })
  masterKeyId!: string | null;
  @Column({ name: 'rsa_public_key', type: 'text', nullable: true }) rsaPublicKey!: string | null;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMillis }) createdAt!: number;
  @ManagedByColumn() managedBy!: ManagedBy;
}
