import { DataSource, type MigrationInterface } from 'typeorm';
import type { Pool } from 'pg';
import { EventStore1764230400000 } from './migrations/1764230400000-event-store';
import { advisoryKey } from './sql';

type MigrationClass = new () => MigrationInterface;

export interface DatabaseOptions {
  url: string;
  /** The service's own migrations; the event store's tables come first. */
  migrations?: MigrationClass[];
  poolSize?: number;
  applicationName?: string;
  /** Whether the event store's own tables are created too (false: a service that keeps no event log). */
  eventStore?: boolean;
}

export const eventStoreMigrations: MigrationClass[] = [EventStore1764230400000];

/**
 * The service's TypeORM DataSource. TypeORM owns the connection pool and the schema
 * (migrations); the event store and hot paths talk to the same pool with plain pg.
 */
export function createDataSource(options: DatabaseOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    migrations: [
      ...(options.eventStore === false ? [] : eventStoreMigrations),
      ...(options.migrations ?? []),
    ],
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    applicationName: options.applicationName,
    extra: {
      max: options.poolSize ?? 20,
      connectionTimeoutMillis: 2000,
      idleTimeoutMillis: 30_000,
      // Two sessions outlive a quiet period (an idle one costs no CPU), so the first request or
      // record after it does not wait for a new connection and its SCRAM handshake.
      min: Math.min(2, options.poolSize ?? 20),
      // Fail fast instead of queueing forever when Postgres is gone.
      query_timeout: 15_000,
    },
  });
}

/** Runs pending migrations; concurrent instances of one service wait for each other. */
export async function migrate(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  const key = advisoryKey('migrations').toString();
  try {
    await runner.query('SELECT pg_advisory_lock($1::bigint)', [key]);
    await dataSource.runMigrations();
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => undefined);
    await runner.release();
  }
}

/** The pg pool behind an initialised DataSource. */
export function poolOf(dataSource: DataSource): Pool {
  const pool = (dataSource.driver as unknown as { master?: Pool }).master;
  if (!pool) throw new Error('DataSource is not initialised');
  return pool;
}
