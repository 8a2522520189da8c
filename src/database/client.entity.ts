import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMillis, ManagedByColumn, type ManagedBy } from './columns';

/** An RFC 8693 / RFC 7662 caller. The secret is stored only as a salted scrypt hash. */
@Entity('clients')
export class ClientEntity {
  @PrimaryColumn({ name: 'client_id', type: 'varchar', length: 128 }) clientId!: string;
  @Column({ name: 'secret_hash', type: 'text' }) secretHash!: string;
  @Column({ type: 'varchar', length: 64 }) profile!: string;
  /** JSON array of audiences/resources the client may request. */
  @Column({ type: 'text' }) audiences!: string;
  /** JSON array of scopes the client may request. */
  @Column({ type: 'text' }) scopes!: string;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMillis }) createdAt!: number;
  @ManagedByColumn() managedBy!: ManagedBy;
}
