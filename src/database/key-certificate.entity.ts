import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMillis } from './columns';

/** A certificate for one signing key (Optum mode's `x5c`); public data, stored in clear. */
@Entity('key_certificates')
export class KeyCertificateEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 }) kid!: string;
  @Column({ type: 'varchar', length: 80 }) keyset!: string;
  /** JSON array of standard-base64 DER certificates, leaf first (RFC 7515 `x5c`). */
  @Column({ type: 'text' }) chain!: string;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMillis }) createdAt!: number;
}
