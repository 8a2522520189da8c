import {
  Table,
  TableForeignKey,
  TableIndex,
  type MigrationInterface,
  type QueryRunner,
} from 'typeorm';

/** Portable column types only (varchar, text, integer, bigint): the same migration runs on SQLite and PostgreSQL. */
export class InitialSchema1764100000000 implements MigrationInterface {
  name = 'InitialSchema1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'keysets',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'name', type: 'varchar', length: '64', isUnique: true },
          { name: 'algorithm', type: 'varchar', length: '16' },
          { name: 'rsa_bits', type: 'integer', isNullable: true },
          { name: 'retain', type: 'integer', default: 1 },
          { name: 'created_at', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'signing_keys',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'keyset_id', type: 'varchar', length: '36' },
          { name: 'kid', type: 'varchar', length: '128' },
          { name: 'alg', type: 'varchar', length: '16' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'generation', type: 'integer' },
          { name: 'public_jwk', type: 'text', isNullable: true },
          { name: 'private_jwk_encrypted', type: 'text' },
          { name: 'master_key_id', type: 'varchar', length: '32' },
          { name: 'created_at', type: 'bigint' },
          { name: 'activated_at', type: 'bigint', isNullable: true },
          { name: 'retired_at', type: 'bigint', isNullable: true },
        ],
      }),
    );
    await queryRunner.createIndex(
      'signing_keys',
      new TableIndex({ columnNames: ['keyset_id', 'kid'], isUnique: true }),
    );
    await queryRunner.createForeignKey(
      'signing_keys',
      new TableForeignKey({
        columnNames: ['keyset_id'],
        referencedTableName: 'keysets',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('signing_keys');
    await queryRunner.dropTable('keysets');
  }
}
