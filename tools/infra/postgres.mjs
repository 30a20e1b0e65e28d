// PostgreSQL for local development and tests: an embedded server (run-postgres.mjs in a child
// process), or an existing server named by DATABASE_URL.
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { defaultLog, describeExit, exited, spawnDaemon, stopChild } from './process.mjs';

const runner = fileURLToPath(new URL('./run-postgres.mjs', import.meta.url));

/** @typedef {import('./process.mjs').Log} Log */
/**
 * @typedef {object} Postgres
 * @property {string} adminUrl superuser URL of the `postgres` database
 * @property {boolean} embedded false when an existing server (DATABASE_URL) is used
 * @property {Promise<import('./process.mjs').Exit>} exited settles if the embedded server stops
 * @property {() => Promise<void>} stop stops the embedded server; does nothing to an existing one
 */

/**
 * Starts an embedded server whose cluster lives in `<dataDir>/pgdata` (created on first use, reused
 * afterwards; as root, possibly outside `dataDir`, see run-postgres.mjs). It runs in its own process
 * (run-postgres.mjs), which stops the server when its parent goes away, however that happens.
 * @param {{ port: number, dataDir: string, log?: Log }} options
 * @returns {Promise<Postgres>}
 */
export async function startPostgres({ port, dataDir, log = defaultLog }) {
  const started = Date.now();
  // Our stdin stays a pipe: if this process dies, the runner sees it close and stops the server.
  const child = spawnDaemon(
    process.execPath,
    [runner, '--port', String(port), '--data-dir', resolve(dataDir)],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  createInterface({ input: /** @type {import('node:stream').Readable} */ (child.stderr) }).on('line', log);
  const done = exited(child);
  const adminUrl = await new Promise((ready, fail) => {
    createInterface({ input: /** @type {import('node:stream').Readable} */ (child.stdout) }).once(
      'line',
      (line) => ready(JSON.parse(line).adminUrl),
    );
    done.then((exit) =>
      fail(
        new Error(
          `Postgres did not start (${describeExit(exit)}); see ${join(resolve(dataDir), 'postgres.log')}`,
        ),
      ),
    );
  });
  log(
    `Postgres ready on 127.0.0.1:${port} in ${((Date.now() - started) / 1000).toFixed(1)}s (log: ${join(resolve(dataDir), 'postgres.log')})`,
  );
  return {
    adminUrl,
    embedded: true,
    exited: done,
    async stop() {
      await stopChild(child, { name: 'Postgres', timeoutMs: 90_000, log });
      log('Postgres stopped');
    },
  };
}

/**
 * Uses the server of `databaseUrl` when given (its `postgres` database as the admin database, with the
 * same credentials), otherwise starts an embedded one.
 * @param {{ databaseUrl?: string, port: number, dataDir: string, log?: Log }} options
 * @returns {Promise<Postgres>}
 */
export async function usePostgres({ databaseUrl, port, dataDir, log = defaultLog }) {
  if (!databaseUrl) return startPostgres({ port, dataDir, log });
  const adminUrl = withDatabase(databaseUrl, 'postgres');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect().catch((error) => {
    throw new Error(`Cannot reach the Postgres of DATABASE_URL (${redact(adminUrl)}): ${error.message}`);
  });
  await client.end();
  log(`Using the existing Postgres of DATABASE_URL: ${redact(adminUrl)}`);
  return { adminUrl, embedded: false, exited: new Promise(() => {}), stop: async () => {} };
}

/**
 * Creates the database unless it exists. Safe to run concurrently for the same name.
 * @param {string} adminUrl
 * @param {string} name
 * @returns {Promise<boolean>} whether it was created
 */
export async function ensureDatabase(adminUrl, name) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return false;
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    return true;
  } catch (error) {
    // 42P04 duplicate_database; 23505 when a concurrent CREATE DATABASE won the race.
    const code = /** @type {{ code?: string }} */ (error).code;
    if (code === '42P04' || code === '23505') return false;
    throw error;
  } finally {
    await client.end();
  }
}

/**
 * The same server and credentials, another database.
 * @param {string} url
 * @param {string} database
 */
export function withDatabase(url, database) {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/**
 * The URL without its password, for printing.
 * @param {string} url
 */
export function redact(url) {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
