import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Read models of the portal (rebuildable from es_events: `npm run license:rebuild-read-model`)
 * and the licence keys, which are state of record: events carry only their hashes.
 */
export class LicenseTables1764403200000 implements MigrationInterface {
  name = 'LicenseTables1764403200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE license_items (
        item_id uuid PRIMARY KEY,
        account_id uuid NOT NULL,
        purchase_id uuid NOT NULL,
        channel text NOT NULL,
        external_ref text NOT NULL,
        sku text NOT NULL,
        product text,
        unit text,
        quantity integer NOT NULL,
        term text,
        purchased_at timestamptz NOT NULL,
        status text NOT NULL,
        license_id uuid,
        position bigint NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX license_items_by_account ON license_items (account_id, purchased_at DESC, position DESC)`,
    );
    await queryRunner.query(`
      CREATE TABLE licenses (
        license_id uuid PRIMARY KEY,
        account_id uuid NOT NULL,
        status text NOT NULL,
        tracking_mode text,
        lts_instance_id text,
        items jsonb NOT NULL,
        generated_at timestamptz NOT NULL,
        activated_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX licenses_by_account ON licenses (account_id, generated_at DESC)`);
    await queryRunner.query(`
      CREATE TABLE license_keys (
        license_id uuid PRIMARY KEY,
        license_key text NOT NULL UNIQUE
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE license_keys');
    await queryRunner.query('DROP TABLE licenses');
    await queryRunner.query('DROP TABLE license_items');
  }
}
