import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, type DataSourceOptions, type QueryRunner } from 'typeorm';
import { ClientEntity } from './client.entity';
import { ConsumerChangeEntity } from './consumer-change.entity';
import { ConsumerEntity } from './consumer.entity';
import { JwtCredentialEntity } from './jwt-credential.entity';
import { KeyCertificateEntity } from './key-certificate.entity';
import { KeysetEntity } from './keyset.entity';
import { InitialSchema1764100000000 } from './migrations/1764100000000-InitialSchema';
import { ProfilesConsumers1764200000000 } from './migrations/1764200000000-ProfilesConsumers';
import { AdminRotation1764300000000 } from './migrations/1764300000000-AdminRotation';
import { ClientsCertificates1764400000000 } from './migrations/1764400000000-ClientsCertificates';
import { ConsumerChanges1764500000000 } from './migrations/1764500000000-ConsumerChanges';
import { FileOwnership1764600000000 } from './migrations/1764600000000-FileOwnership';
import { ProfileEntity } from './profile.entity';
import { SignerEntity } from './signer.entity';
import { SigningKeyEntity } from './signing-key.entity';
import { StoreRevisionEntity } from './store-revision.entity';

export const ENTITIES = [
  KeysetEntity,
  SigningKeyEntity,
  SignerEntity,
  ClientEntity,
  KeyCertificateEntity,
  ProfileEntity,
  ConsumerEntity,
  JwtCredentialEntity,
  StoreRevisionEntity,
  ConsumerChangeEntity,
];
export const MIGRATIONS = [
  InitialSchema1764100000000,
  ProfilesConsumers1764200000000,
  AdminRotation1764300000000,
  ClientsCertificates1764400000000,
  ConsumerChanges1764500000000,
  FileOwnership1764600000000,
];

const POSTGRES_CONNECT_TIMEOUT_MS = 5000;
const POSTGRES_QUERY_TIMEOUT_MS = 5000;

/**
 * `sqlite:<path>` (embedded, default) or `postgres://…` (several instances sharing one store).
 * Schema changes only ever come from migrations; `synchronize` stays off.
 */
export function dataSourceOptions(databaseUrl: string): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: false,
    synchronize: false,
    logging: false,
  } as const;
  if (databaseUrl.startsWith('sqlite:')) {
    const database = databaseUrl.slice('sqlite:'.length);
    if (database !== ':memory:') mkdirSync(dirname(database), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database,
      enableWAL: true,
      prepareDatabase: (db: { pragma(sql: string): unknown }) => {
        db.pragma('foreign_keys = ON');
        db.pragma('busy_timeout = 5000');
      },
    };
  }
  return {
    ...common,
    type: 'postgres',
    url: databaseUrl,
    // A server that stops answering (a partition, a stalled failover) fails requests with 503 in
    // seconds instead of holding them: connecting (or waiting for a pooled connection) and each
    // query are bounded.
    connectTimeoutMS: POSTGRES_CONNECT_TIMEOUT_MS,
    extra: { query_timeout: POSTGRES_QUERY_TIMEOUT_MS },
  };
}

/**
 * PostgreSQL advisory lock id held while an instance starts (migrations, then what the modules
 * write at start: the declarative file's profiles, consumers, clients, signers and keysets):
 * instances started at the same moment on an empty database would otherwise both create the
 * schema, or both insert one declared row, and one would fail to start.
 */
const STARTUP_LOCK = 7_160_730_001;
/** How long an instance waits for another one's start before it gives up starting. */
const STARTUP_LOCK_WAIT_MS = 120_000;

/** The session holding the start-up lock of each store, until `endStartup`. */
const startupSessions = new WeakMap<DataSource, QueryRunner>();

/**
 * Opens the store and applies pending migrations. On PostgreSQL the instances sharing it take
 * turns starting (a session-level advisory lock, held until `endStartup`); the first migrates and
 * writes what its file declares, the others then find it done.
 */
export async function openStore(options: DataSourceOptions): Promise<DataSource> {
  const dataSource = await new DataSource({ ...options, migrationsRun: false }).initialize();
  if (options.type !== 'postgres') {
    await dataSource.runMigrations();
    return dataSource;
  }
  const session = dataSource.createQueryRunner();
  try {
    await session.connect();
    await takeLock(session);
    await dataSource.runMigrations();
    startupSessions.set(dataSource, session);
  } catch (err) {
    // The lock, if taken, goes with the pool.
    await dataSource.destroy().catch(() => undefined);
    throw err;
  }
  return dataSource;
}

/** Lets the next instance start: every module has written what it writes at start. */
export async function endStartup(dataSource: DataSource): Promise<void> {
  const session = startupSessions.get(dataSource);
  if (!session) return;
  startupSessions.delete(dataSource);
  try {
    await session.query('SELECT pg_advisory_unlock($1)', [STARTUP_LOCK]);
  } finally {
    await session.release();
  }
}

/** Polled rather than waited for in one query: queries are bounded at 5 s, a start may take longer. */
async function takeLock(session: QueryRunner): Promise<void> {
  const until = Date.now() + STARTUP_LOCK_WAIT_MS;
  for (;;) {
    const [row] = (await session.query('SELECT pg_try_advisory_lock($1) AS locked', [
      STARTUP_LOCK,
    ])) as { locked: boolean }[];
    if (row?.locked) return;
    if (Date.now() > until)
      throw new Error(
        `another instance has been starting on this database for ${STARTUP_LOCK_WAIT_MS / 1000} s (PostgreSQL advisory lock ${STARTUP_LOCK}); is one stuck?`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
