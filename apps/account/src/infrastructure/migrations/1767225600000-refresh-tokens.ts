import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refresh tokens, by SHA-256 hash only, grouped in families: a family is one sign-in and every
 * token rotated from it. Revoking a family (reuse of a retired token, logout, a password change)
 * ends all of its tokens at once. Like the outbox and the rate limits this is not state of record
 * (accounts live in es_events); rows are purged once expired or revoked (RefreshTokens.prune).
 */
export class RefreshTokens1767225600000 implements MigrationInterface {
  name = 'RefreshTokens1767225600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // `generation` is the account's credentials generation at sign-in: a later password change
    // bumps the account's, so the family stops working even before its row is revoked.
    await queryRunner.query(`
      CREATE TABLE account_refresh_families (
        family_id uuid PRIMARY KEY,
        account_id uuid NOT NULL,
        generation integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        revoked_reason text,
        CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
      )`);
    await queryRunner.query(
      `CREATE INDEX account_refresh_families_live ON account_refresh_families (account_id) WHERE revoked_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX account_refresh_families_revoked ON account_refresh_families (revoked_at) WHERE revoked_at IS NOT NULL`,
    );
    // `retired_at` is set when the token is exchanged for the next one; presenting it again
    // is a reuse and revokes the family.
    await queryRunner.query(`
      CREATE TABLE account_refresh_tokens (
        token_hash text PRIMARY KEY,
        family_id uuid NOT NULL REFERENCES account_refresh_families ON DELETE CASCADE,
        issued_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        retired_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX account_refresh_tokens_family ON account_refresh_tokens (family_id, expires_at)`,
    );
    await queryRunner.query(
      `CREATE INDEX account_refresh_tokens_expiry ON account_refresh_tokens (expires_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE account_refresh_tokens');
    await queryRunner.query('DROP TABLE account_refresh_families');
  }
}
