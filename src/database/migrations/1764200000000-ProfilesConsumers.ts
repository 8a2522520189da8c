import { Table, TableForeignKey, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Profiles, consumers and their Kong JWT credentials. Portable column types only. */
export class ProfilesConsumers1764200000000 implements MigrationInterface {
  name = 'ProfilesConsumers1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'profiles',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'name', type: 'varchar', length: '64', isUnique: true },
          { name: 'config', type: 'text' },
          { name: 'created_at', type: 'bigint' },
          { name: 'updated_at', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'consumers',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'username', type: 'varchar', length: '255', isNullable: true, isUnique: true },
          { name: 'custom_id', type: 'varchar', length: '255', isNullable: true, isUnique: true },
          { name: 'created_at', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'jwt_credentials',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'consumer_id', type: 'varchar', length: '36' },
          { name: 'key', type: 'varchar', length: '255', isUnique: true },
          { name: 'algorithm', type: 'varchar', length: '16' },
          { name: 'secret_encrypted', type: 'text', isNullable: true },
          { name: 'master_key_id', type: 'varchar', length: '32', isNullable: true },
          { name: 'rsa_public_key', type: 'text', isNullable: true },
          { name: 'created_at', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.createForeignKey(
      'jwt_credentials',
      new TableForeignKey({
        columnNames: ['consumer_id'],
        referencedTableName: 'consumers',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('jwt_credentials');
    await queryRunner.dropTable('consumers');
    await queryRunner.dropTable('profiles');
  }
}
