import { Column, type ValueTransformer } from 'typeorm';

/** bigint columns as numbers: PostgreSQL returns them as strings, SQLite as numbers. */
export const bigintNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};

/** bigint epoch-millisecond columns. */
export const epochMillis = bigintNumber;

/** Who wrote an entity: the declarative file (removed at start once it no longer declares it) or the admin API. */
export type ManagedBy = 'file' | 'api';

/** The `managed_by` column of every table the declarative file may write. */
export const ManagedByColumn = (): PropertyDecorator =>
  Column({ name: 'managed_by', type: 'varchar', length: 8, default: 'api' });
