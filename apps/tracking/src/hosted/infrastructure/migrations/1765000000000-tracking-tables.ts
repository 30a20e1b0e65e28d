import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The vendor-hosted LTS's own tables. Licences are learnt from licenses.v1 and keyed by the hash
 * of their key (the key itself is never stored); seats are counted under a row lock on the
 * licence-product row; usage is reported as usage.recorded.v1 events in the event store.
 */
export class TrackingTables1765000000000 implements MigrationInterface {
  name = 'TrackingTables1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE tracked_licenses (
        license_id uuid PRIMARY KEY,
        -- Hex SHA-256 of the key; null only while license.generated.v1 has not been seen.
        license_key_hash text UNIQUE CHECK (license_key_hash ~ '^[0-9a-f]{64}$'),
        account_id uuid NOT NULL,
        status text NOT NULL CHECK (status IN ('generated', 'activated', 'revoked')),
        tracking_mode text CHECK (tracking_mode IN ('vendor-hosted', 'self-hosted')),
        lts_instance_id text,
        entitlements jsonb NOT NULL DEFAULT '[]',
        activated_at timestamptz,
        revoked_at timestamptz
      )`);
    // One row per product of a vendor-hosted licence: acquisitions lock it (SELECT ... FOR UPDATE).
    await queryRunner.query(`
      CREATE TABLE license_products (
        license_id uuid NOT NULL REFERENCES tracked_licenses (license_id),
        product text NOT NULL,
        unit text NOT NULL,
        seats_total integer NOT NULL CHECK (seats_total >= 0),
        term_ends_at timestamptz,
        -- This product's entitlements as activated: seats per term, for the seats live at a time.
        entitlements jsonb NOT NULL,
        PRIMARY KEY (license_id, product)
      )`);
    // Heartbeats rewrite expires_at many times a second: no index holds it and the pages keep
    // room, so those updates stay HOT (no index write). The sweeper scans the active leases.
    await queryRunner.query(`
      CREATE TABLE leases (
        lease_id uuid PRIMARY KEY,
        license_id uuid NOT NULL,
        product text NOT NULL,
        client_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('active', 'released', 'expired', 'revoked')),
        acquired_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        term_ends_at timestamptz,
        ended_at timestamptz,
        CHECK ((status = 'active') = (ended_at IS NULL)),
        FOREIGN KEY (license_id, product) REFERENCES license_products (license_id, product)
      ) WITH (fillfactor = 70)`);
    await queryRunner.query(`
      CREATE UNIQUE INDEX leases_one_active_per_client ON leases (license_id, product, client_id)
      WHERE status = 'active'`);
    await queryRunner.query(`CREATE INDEX leases_ended ON leases (ended_at) WHERE status <> 'active'`);
    await queryRunner.query(`
      CREATE TABLE usage_hours (
        license_id uuid NOT NULL,
        product text NOT NULL,
        hour timestamptz NOT NULL,
        peak_seats_in_use integer NOT NULL CHECK (peak_seats_in_use >= 0),
        denied integer NOT NULL CHECK (denied >= 0),
        last_seats_in_use integer NOT NULL CHECK (last_seats_in_use >= 0),
        PRIMARY KEY (license_id, product, hour)
      )`);
    await queryRunner.query(`CREATE INDEX usage_hours_by_hour ON usage_hours (hour)`);
    // The last lease.denied event per licence, product and client: at most one a minute goes out.
    await queryRunner.query(`
      CREATE TABLE denial_marks (
        license_id uuid NOT NULL,
        product text NOT NULL,
        client_id text NOT NULL,
        last_at timestamptz NOT NULL,
        PRIMARY KEY (license_id, product, client_id)
      )`);
    await queryRunner.query(`CREATE INDEX denial_marks_by_time ON denial_marks (last_at)`);
    // Lease API requests per client address and minute, summed over every instance.
    await queryRunner.query(`
      CREATE TABLE rate_limit_windows (
        address text NOT NULL,
        window_start timestamptz NOT NULL,
        requests bigint NOT NULL,
        PRIMARY KEY (address, window_start)
      )`);
    await queryRunner.query(`CREATE INDEX rate_limit_windows_by_start ON rate_limit_windows (window_start)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'rate_limit_windows',
      'denial_marks',
      'usage_hours',
      'leases',
      'license_products',
      'tracked_licenses',
    ]) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  }
}
