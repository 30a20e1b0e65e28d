import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The portal's sessions. The cookie holds a random id; this table holds only its SHA-256, the
 * account it signed in, and the account service's tokens sealed with PORTAL_SESSION_KEY.
 */
export class PortalSessions1766000000000 implements MigrationInterface {
  name = 'PortalSessions1766000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE portal_sessions (
        id_hash bytea PRIMARY KEY CHECK (length(id_hash) = 32),
        account_id uuid NOT NULL,
        tokens bytea NOT NULL,
        -- When the access token is renewed (ahead of its expiry), and when it expires.
        refresh_at timestamptz NOT NULL,
        access_expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await queryRunner.query('CREATE INDEX portal_sessions_expires_at ON portal_sessions (expires_at)');
    await queryRunner.query('CREATE INDEX portal_sessions_last_seen_at ON portal_sessions (last_seen_at)');
    await queryRunner.query('CREATE INDEX portal_sessions_account ON portal_sessions (account_id)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE portal_sessions');
  }
}
