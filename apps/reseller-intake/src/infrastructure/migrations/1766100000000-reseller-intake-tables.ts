import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * reseller-intake's tables beside the event store: resellers and their API keys (hashes only), the
 * per-key rate limits, the Idempotency-Key records, and the orders' read model, written in the same
 * transaction as the events it reflects.
 */
export class ResellerIntakeTables1766100000000 implements MigrationInterface {
  name = 'ResellerIntakeTables1766100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE resellers (
        reseller_id uuid PRIMARY KEY,
        name text NOT NULL,
        name_key text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE reseller_api_keys (
        key_id text PRIMARY KEY,
        reseller_id uuid NOT NULL REFERENCES resellers (reseller_id),
        secret_sha256 text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX reseller_api_keys_reseller ON reseller_api_keys (reseller_id)`);
    // Generic cell rate algorithm: one row per key, the theoretical arrival time in epoch ms.
    await queryRunner.query(`
      CREATE TABLE reseller_rate_limits (
        key_id text PRIMARY KEY,
        tat_ms double precision NOT NULL,
        allowed boolean NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE reseller_idempotency_keys (
        reseller_id uuid NOT NULL,
        idempotency_key text NOT NULL,
        fingerprint text NOT NULL,
        state text NOT NULL CHECK (state IN ('in-flight', 'done')),
        owner uuid NOT NULL,
        locked_until timestamptz NOT NULL,
        status integer,
        response text,
        location text,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (reseller_id, idempotency_key)
      )`);
    await queryRunner.query(
      `CREATE INDEX reseller_idempotency_keys_expiry ON reseller_idempotency_keys (expires_at)`,
    );
    // Completes an attempt only while it still owns the key: a request that outlived its lease and
    // was taken over must not commit (its transaction fails and rolls back with its order).
    await queryRunner.query(`
      CREATE FUNCTION reseller_complete_idempotency(
        p_reseller uuid, p_key text, p_owner uuid, p_status integer, p_response text, p_location text
      ) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE reseller_idempotency_keys
           SET state = 'done', status = p_status, response = p_response, location = p_location
         WHERE reseller_id = p_reseller AND idempotency_key = p_key AND owner = p_owner AND state = 'in-flight';
        IF NOT FOUND THEN
          RAISE EXCEPTION 'idempotency key no longer held by this attempt' USING ERRCODE = 'RI001';
        END IF;
      END $$`);
    await queryRunner.query(`
      CREATE TABLE reseller_orders (
        seq bigserial UNIQUE,
        order_id uuid PRIMARY KEY,
        purchase_id uuid NOT NULL UNIQUE,
        reseller_id uuid NOT NULL,
        reseller_order_ref text NOT NULL,
        status text NOT NULL,
        recorded_at timestamptz NOT NULL,
        view json NOT NULL,
        UNIQUE (reseller_id, reseller_order_ref)
      )`);
    await queryRunner.query(`CREATE INDEX reseller_orders_newest ON reseller_orders (reseller_id, seq DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE reseller_orders`);
    await queryRunner.query(`DROP FUNCTION reseller_complete_idempotency`);
    await queryRunner.query(`DROP TABLE reseller_idempotency_keys`);
    await queryRunner.query(`DROP TABLE reseller_rate_limits`);
    await queryRunner.query(`DROP TABLE reseller_api_keys`);
    await queryRunner.query(`DROP TABLE resellers`);
  }
}
