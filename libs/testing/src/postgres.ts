import { Client, Pool } from 'pg';
import { requireEnv, uniqueName } from './env';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A fresh, empty database on the test server, one per spec file. */
export async function createTestDatabase(prefix = 'spec'): Promise<TestDatabase> {
  const adminUrl = requireEnv('TEST_PG_ADMIN_URL');
  const name = uniqueName(prefix).replace(/[^a-z0-9_]/g, '_').slice(0, 60);
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withDatabase(adminUrl, name),
    async drop() {
      const client = new Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

export function testPool(url: string, max = 10): Pool {
  return new Pool({ connectionString: url, max });
}
