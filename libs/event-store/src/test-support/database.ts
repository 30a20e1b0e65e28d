import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { createTestDatabase } from '@otl/testing';
import { createDataSource, migrate, poolOf } from '../database';

export interface MigratedTestDatabase {
  url: string;
  dataSource: DataSource;
  pool: Pool;
  close(): Promise<void>;
}

/** A fresh database with the event store's tables, for this library's integration specs. */
export async function migratedTestDatabase(prefix: string): Promise<MigratedTestDatabase> {
  const db = await createTestDatabase(prefix);
  const dataSource = createDataSource({ url: db.url });
  await dataSource.initialize();
  await migrate(dataSource);
  return {
    url: db.url,
    dataSource,
    pool: poolOf(dataSource),
    async close() {
      await dataSource.destroy();
      await db.drop();
    },
  };
}
