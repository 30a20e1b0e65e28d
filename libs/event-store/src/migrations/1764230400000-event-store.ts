import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event store's tables (shape after emmett-postgresql):
 * - es_events: the append-only log. transaction_id lets global readers wait for
 *   late-committing transactions instead of skipping them.
 * - es_checkpoints: how far each global reader (forwarder, projections) has got.
 * - es_inbox: event ids each Kafka consumer has already applied (dedupe).
 * There is deliberately no NOTIFY trigger: a transaction that NOTIFYs holds a global lock
 * through its commit's WAL flush, which serialises all writers and defeats group commit
 * (measured: 392 vs 674 webhooks/s). Writers wake readers after commit instead.
 */
export class EventStore1764230400000 implements MigrationInterface {
  name = 'EventStore1764230400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE es_events (
        global_position bigint GENERATED ALWAYS AS IDENTITY,
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        stream_id text NOT NULL,
        stream_position bigint NOT NULL CHECK (stream_position > 0),
        event_id uuid NOT NULL,
        type text NOT NULL,
        schema_version integer NOT NULL DEFAULT 1,
        data jsonb NOT NULL,
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT es_events_pkey PRIMARY KEY (stream_id, stream_position),
        CONSTRAINT es_events_event_id_key UNIQUE (event_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX es_events_global_order ON es_events (transaction_id, global_position)`,
    );
    await queryRunner.query(`
      CREATE TABLE es_checkpoints (
        name text PRIMARY KEY,
        transaction_id xid8 NOT NULL,
        global_position bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE es_inbox (
        consumer text NOT NULL,
        event_id uuid NOT NULL,
        event_type text NOT NULL,
        topic text NOT NULL,
        kafka_partition integer NOT NULL,
        kafka_offset bigint NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE es_inbox`);
    await queryRunner.query(`DROP TABLE es_checkpoints`);
    await queryRunner.query(`DROP TABLE es_events`);
  }
}
