import { Column, Entity, OneToMany, PrimaryColumn } from 'typeorm';
import { epochMillis, ManagedByColumn, type ManagedBy } from './columns';
import { JwtCredentialEntity } from './jwt-credential.entity';

/** A Kong consumer: who a token belongs to (`X-Consumer-*`). */
@Entity('consumers')
export class ConsumerEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 255, nullable: true, unique: true }) username!: string | null;
  @Column({ name: 'custom_id', type: 'varchar', length: 255, nullable: true, unique: true })
  customId!: string | null;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMillis }) createdAt!: number;
  @ManagedByColumn() managedBy!: ManagedBy;
  @OneToMany(() => JwtCredentialEntity, (credential) => credential.consumer)
  credentials?: JwtCredentialEntity[];
}
