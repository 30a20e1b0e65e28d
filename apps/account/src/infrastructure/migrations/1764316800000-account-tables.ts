import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Beside the event store: the mail outbox (written in the transaction that decided the mail)
 * and the rate-limit counters. Neither is state of record; accounts live in es_events.
 */
export class AccountTables1764316800000 implements MigrationInterface {
  name = 'AccountTables1764316800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // One row per event that calls for a mail (id = that event's id), so a replay never mails twice.
    // `secret` holds a raw link token only until the mail is handed to SMTP, then it is erased.
    await queryRunner.query(`
      CREATE TABLE account_mail_outbox (
        id uuid PRIMARY KEY,
        template text NOT NULL,
        recipient text NOT NULL,
        params jsonb NOT NULL,
        secret text,
        created_at timestamptz NOT NULL DEFAULT now(),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        sent_at timestamptz,
        message_id text
      )`);
    await queryRunner.query(
      `CREATE INDEX account_mail_outbox_due ON account_mail_outbox (next_attempt_at) WHERE sent_at IS NULL`,
    );
    // Fixed-window counters shared by every instance of the service.
    await queryRunner.query(`
      CREATE TABLE account_rate_limits (
        bucket text PRIMARY KEY,
        window_seconds integer NOT NULL,
        window_started_at timestamptz NOT NULL,
        hits integer NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE account_rate_limits');
    await queryRunner.query('DROP TABLE account_mail_outbox');
  }
}
