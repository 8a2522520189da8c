import { Client } from 'pg';

/** The PostgreSQL server tests create their databases on (CI runs one). */
export const POSTGRES_ADMIN_URL =
  process.env.STS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Whether it answers; a machine without one skips those tests with a message (never in CI). */
export async function postgresReachable(): Promise<boolean> {
  const client = new Client({
    connectionString: POSTGRES_ADMIN_URL,
    connectionTimeoutMillis: 2000,
  });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
