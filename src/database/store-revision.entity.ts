import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './columns';

/**
 * A counter per synced table, bumped first thing in every write transaction: on PostgreSQL the
 * row lock makes writers take revisions in commit order, so a reader that sees revision n has
 * seen every earlier one, and a revision watermark never skips a change.
 */
@Entity('store_revisions')
export class StoreRevisionEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 }) name!: string;
  @Column({ type: 'bigint', transformer: bigintNumber }) revision!: number;
}
