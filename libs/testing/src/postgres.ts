import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { requireEnv, uniqueName } from './env';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** The same server URL naming another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A fresh, empty database on the test server, one per spec file. */
export async function createTestDatabase(prefix = 'spec'): Promise<TestDatabase> {
  const adminUrl = requireEnv('TEST_PG_ADMIN_URL');
  const name = uniqueName(prefix)
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 60);
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

export interface OwnPostgres {
  adminUrl: string;
  /** Stops the server (fast shutdown) and waits until it is gone. */
  stop(): Promise<void>;
}

/**
 * A Postgres server of the spec's own (tools/infra/run-postgres.mjs), for specs that
 * stop and restart the database under a running service. Reuses `dataDir` if initialised.
 */
export async function startOwnPostgres(port: number, dataDir: string): Promise<OwnPostgres> {
  const script = join(resolve(__dirname, '..', '..', '..'), 'tools', 'infra', 'run-postgres.mjs');
  const child = spawn(process.execPath, [script, '--port', String(port), '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const adminUrl = await new Promise<string>((resolveUrl, reject) => {
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((candidate) => candidate.startsWith('{'));
      if (line) resolveUrl((JSON.parse(line) as { adminUrl: string }).adminUrl);
    });
    child.once('exit', (code) => reject(new Error(`run-postgres exited with ${code}: ${stderr}`)));
  });
  return {
    adminUrl,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
