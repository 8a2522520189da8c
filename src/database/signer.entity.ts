import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMillis, ManagedByColumn, type ManagedBy } from './columns';

/** A KrakenD-style signer; its options are stored as given, with KrakenD's names verbatim. */
@Entity('signers')
export class SignerEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 64, unique: true }) name!: string;
  /** JSON of the signer's options (everything but the name). */
  @Column({ type: 'text' }) options!: string;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMillis }) createdAt!: number;
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMillis }) updatedAt!: number;
  @ManagedByColumn() managedBy!: ManagedBy;
}
