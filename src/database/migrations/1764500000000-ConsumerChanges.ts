import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The consumer change log: a `consumers` revision counter every write bumps, and which consumer
 * each revision touched, so instances apply each other's writes consumer by consumer.
 */
export class ConsumerChanges1764500000000 implements MigrationInterface {
  name = 'ConsumerChanges1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'store_revisions',
        columns: [
          { name: 'name', type: 'varchar', length: '32', isPrimary: true },
          { name: 'revision', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.query(
      `INSERT INTO "store_revisions" ("name", "revision") VALUES ('consumers', 0)`,
    );
    await queryRunner.createTable(
      new Table({
        name: 'consumer_changes',
        columns: [
          { name: 'revision', type: 'bigint', isPrimary: true },
          { name: 'consumer_id', type: 'varchar', length: '36' },
          { name: 'changed_at', type: 'bigint' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('consumer_changes');
    await queryRunner.dropTable('store_revisions');
  }
}
