import type { ValueTransformer } from 'typeorm';

/** bigint columns as numbers: PostgreSQL returns them as strings, SQLite as numbers. */
export const bigintNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};

/** bigint epoch-millisecond columns. */
export const epochMillis = bigintNumber;
