import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * po-intake's own tables beside the event store: the documents (kept byte for byte outside the
 * event log), the claims that keep one live order per customer and poNumber, and the desk's read
 * model, written in the same transaction as the events it reflects.
 */
export class PoIntakeTables1765400000000 implements MigrationInterface {
  name = 'PoIntakeTables1765400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE po_documents (
        purchase_order_id uuid PRIMARY KEY,
        filename text NOT NULL,
        content_type text NOT NULL,
        size integer NOT NULL CHECK (size > 0),
        sha256 text NOT NULL,
        content bytea NOT NULL,
        stored_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Documents are written once and read as a whole: no compression of already-compressed files.
    await queryRunner.query(`ALTER TABLE po_documents ALTER COLUMN content SET STORAGE EXTERNAL`);
    await queryRunner.query(`
      CREATE TABLE po_number_claims (
        customer_key text NOT NULL,
        po_number text NOT NULL,
        purchase_order_id uuid NOT NULL,
        claimed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (customer_key, po_number)
      )`);
    await queryRunner.query(`
      CREATE TABLE purchase_orders (
        purchase_order_id uuid PRIMARY KEY,
        po_number text NOT NULL,
        customer_key text NOT NULL,
        status text NOT NULL,
        received_at timestamptz NOT NULL,
        due_by timestamptz NOT NULL,
        view jsonb NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX purchase_orders_queue ON purchase_orders (due_by, purchase_order_id)`,
    );
    await queryRunner.query(
      `CREATE INDEX purchase_orders_status_queue ON purchase_orders (status, due_by, purchase_order_id)`,
    );
    await queryRunner.query(
      `CREATE INDEX purchase_orders_po_number ON purchase_orders (customer_key, po_number, received_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE purchase_orders`);
    await queryRunner.query(`DROP TABLE po_number_claims`);
    await queryRunner.query(`DROP TABLE po_documents`);
  }
}
