import { Column, Entity, OneToMany, PrimaryColumn } from 'typeorm';
import { epochMillis } from './columns';
import { SigningKeyEntity } from './signing-key.entity';

@Entity('keysets')
export class KeysetEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 64, unique: true }) name!: string;
  @Column({ type: 'varchar', length: 16 }) algorithm!: string;
  @Column({ name: 'rsa_bits', type: 'integer', nullable: true }) rsaBits!: number | null;
  /** Previous keys kept published after a rotation. */
  @Column({ type: 'integer', default: 1 }) retain!: number;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMillis }) createdAt!: number;
  @OneToMany(() => SigningKeyEntity, (key) => key.keyset) keys?: SigningKeyEntity[];
}
