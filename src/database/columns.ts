import type { ValueTransformer } from 'typeorm';

/** bigint epoch-millisecond columns: PostgreSQL returns them as strings, SQLite as numbers. */
export const epochMillis: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};
