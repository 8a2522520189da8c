import { Table, TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Scheduled rotation settings and the concurrency revision on keysets; the signers table. */
export class AdminRotation1764300000000 implements MigrationInterface {
  name = 'AdminRotation1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('keysets', [
      new TableColumn({ name: 'rotation_period', type: 'integer', isNullable: true }),
      new TableColumn({ name: 'prepublish', type: 'integer', default: 3600 }),
      new TableColumn({ name: 'max_token_lifetime', type: 'integer', default: 3600 }),
      new TableColumn({ name: 'revision', type: 'integer', default: 0 }),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'signers',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'name', type: 'varchar', length: '64', isUnique: true },
          { name: 'options', type: 'text' },
          { name: 'created_at', type: 'bigint' },
          { name: 'updated_at', type: 'bigint' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('signers');
    for (const column of ['revision', 'max_token_lifetime', 'prepublish', 'rotation_period'])
      await queryRunner.dropColumn('keysets', column);
  }
}
