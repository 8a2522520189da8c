import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

export class ClientsCertificates1764400000000 implements MigrationInterface {
  name = 'ClientsCertificates1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'clients',
        columns: [
          { name: 'client_id', type: 'varchar', length: '128', isPrimary: true },
          { name: 'secret_hash', type: 'text' },
          { name: 'profile', type: 'varchar', length: '64' },
          { name: 'audiences', type: 'text' },
          { name: 'scopes', type: 'text' },
          { name: 'created_at', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'key_certificates',
        columns: [
          { name: 'kid', type: 'varchar', length: '128', isPrimary: true },
          { name: 'keyset', type: 'varchar', length: '80' },
          { name: 'chain', type: 'text' },
          { name: 'created_at', type: 'bigint' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('key_certificates');
    await queryRunner.dropTable('clients');
  }
}
