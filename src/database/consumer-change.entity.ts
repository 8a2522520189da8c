import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber, epochMillis } from './columns';

/** One write to a consumer or its credentials, at the `consumers` store revision it took. */
@Entity('consumer_changes')
export class ConsumerChangeEntity {
  @PrimaryColumn({ type: 'bigint', transformer: bigintNumber }) revision!: number;
  @Column({ name: 'consumer_id', type: 'varchar', length: 36 }) consumerId!: string;
  @Column({ name: 'changed_at', type: 'bigint', transformer: epochMillis }) changedAt!: number;
}
