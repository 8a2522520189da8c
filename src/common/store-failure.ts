/**
 * Whether an error is the store failing rather than a bug: the database unreachable, restarting or
 * refusing connections, or refusing writes (a read-only SQLite file). Told apart by the drivers'
 * codes and messages (node-postgres, better-sqlite3); TypeORM keeps the driver's error as
 * `driverError`.
 */
export type StoreFailure = 'read-only' | 'unavailable';

/** Network errors on the way to the database server. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL SQLSTATEs of a server going away or turning connections down: class 08 (connection
 * exception), admin/crash shutdown and "cannot connect now" (57P01-57P03, a restart), too many
 * connections (53300) and a query cancelled by its timeout (57014).
 */
const PG_UNAVAILABLE = /^(08|57P0[123]$|53300$|57014$)/;

/** node-postgres's own errors for a connection that broke or never came. */
const PG_CONNECTION_LOST =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connection error and is not queryable/i;

/** SQLite result codes of a file that cannot be written or read now (extended codes included). */
const SQLITE_READ_ONLY = /^SQLITE_READONLY/;
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL)/;

export function storeFailureOf(err: unknown): StoreFailure | undefined {
  if (!(err instanceof Error)) return undefined;
  const driver = (err as { driverError?: unknown }).driverError;
  const cause = driver instanceof Error ? driver : err;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (SQLITE_READ_ONLY.test(code)) return 'read-only';
    if (SQLITE_UNAVAILABLE.test(code) || NETWORK_CODES.has(code) || PG_UNAVAILABLE.test(code))
      return 'unavailable';
  }
  return PG_CONNECTION_LOST.test(cause.message) ? 'unavailable' : undefined;
}
