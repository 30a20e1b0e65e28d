import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every accepted delivery, raw headers and body as received, for audit; the stored
 * response answers a repeated webhook-id the same way. Rejected deliveries (bad
 * signature, bad body) are never stored.
 */
export class StoreWebhookDeliveries1764230500000 implements MigrationInterface {
  name = 'StoreWebhookDeliveries1764230500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE store_webhook_deliveries (
        webhook_id text PRIMARY KEY,
        webhook_timestamp bigint NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        headers jsonb NOT NULL,
        body text NOT NULL,
        event_type text NOT NULL,
        order_id text,
        purchase_id uuid,
        outcome text NOT NULL,
        response jsonb NOT NULL,
        correlation_id text,
        redeliveries integer NOT NULL DEFAULT 0,
        last_redelivered_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX store_webhook_deliveries_order ON store_webhook_deliveries (order_id)`,
    );
    await queryRunner.query(
      `CREATE INDEX store_webhook_deliveries_received ON store_webhook_deliveries (received_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE store_webhook_deliveries`);
  }
}
