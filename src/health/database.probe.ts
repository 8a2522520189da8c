import { Inject, Injectable } from '@nestjs/common';
import Database from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { STS_CONFIG, type StsConfig } from '../config/config';
import { APP_LOGGER, type Logger } from '../logging/logger';

/**
 * "Database reachable", for real: a query on the keysets table through the app's own
 * connection, and, for SQLite, the same query through a fresh connection to the configured file.
 * The second matters because the app's open handle keeps working after the file is moved,
 * deleted or its volume unmounted, while everything written from then on is gone at restart.
 */
@Injectable()
export class DatabaseProbe {
  private readonly sqliteFile: string | undefined;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(STS_CONFIG) config: StsConfig,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {
    const file = config.databaseUrl.startsWith('sqlite:')
      ? config.databaseUrl.slice('sqlite:'.length)
      : undefined;
    this.sqliteFile = file === ':memory:' ? undefined : file;
  }

  async check(): Promise<{ keysets: number }> {
    let rows: { keysets: number | string }[];
    try {
      rows = await this.dataSource.query<{ keysets: number | string }[]>(
        'SELECT count(*) AS keysets FROM keysets',
      );
    } catch (err) {
      this.logger.warn({ err }, 'readiness: database query failed');
      throw new Error('database query failed', { cause: err });
    }
    if (this.sqliteFile !== undefined) this.checkSqliteFile(this.sqliteFile);
    return { keysets: Number(rows[0]?.keysets ?? 0) };
  }

  private checkSqliteFile(file: string): void {
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { readonly: true, fileMustExist: true });
      db.prepare('SELECT count(*) FROM keysets').get();
    } catch (err) {
      this.logger.warn({ err, file }, 'readiness: SQLite file not usable at its configured path');
      throw new Error('database file not usable at its configured path', { cause: err });
    } finally {
      db?.close();
    }
  }
}
