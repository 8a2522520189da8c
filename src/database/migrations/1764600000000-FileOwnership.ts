import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables whose rows the declarative file may write. */
const DECLARABLE = ['keysets', 'signers', 'profiles', 'consumers', 'jwt_credentials', 'clients'];

/**
 * Who wrote each entity (`managed_by`: the file or the admin API), so what the file no longer
 * declares can be removed at start, and when a keyset was retired. Plain `ALTER TABLE … ADD
 * COLUMN` (both databases have it): TypeORM's SQLite `addColumn` rebuilds the table, which would
 * cascade into the rows that reference it.
 */
export class FileOwnership1764600000000 implements MigrationInterface {
  name = 'FileOwnership1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of DECLARABLE) {
      await queryRunner.query(
        `ALTER TABLE "${table}" ADD COLUMN "managed_by" varchar(8) NOT NULL DEFAULT 'api'`,
      );
    }
    await queryRunner.query(`ALTER TABLE "keysets" ADD COLUMN "retired_at" bigint NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "keysets" DROP COLUMN "retired_at"`);
    for (const table of DECLARABLE)
      await queryRunner.query(`ALTER TABLE "${table}" DROP COLUMN "managed_by"`);
  }
}
