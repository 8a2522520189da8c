import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
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
