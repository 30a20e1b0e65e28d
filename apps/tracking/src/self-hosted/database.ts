import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export type Sqlite = Database.Database;

/**
 * Schema migrations, applied in order once each; `schema_version` records which ran. Append only:
 * a customer's data directory may be several versions old.
 */
export const migrations: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'instance, licences and leases',
    sql: `
      CREATE TABLE instance (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        lts_instance_id TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      -- A verified licence file without the licence key: its hash, ids and entitlements only.
      CREATE TABLE licenses (
        license_id TEXT PRIMARY KEY,
        license_key_hash TEXT NOT NULL UNIQUE,
        account_id TEXT NOT NULL,
        lts_instance_id TEXT NOT NULL,
        entitlements TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        kid TEXT NOT NULL,
        payload_sha256 TEXT NOT NULL,
        loaded_at TEXT NOT NULL
      );
      -- Times are epoch milliseconds, compared as integers. term_ends_at caps heartbeats without a join.
      CREATE TABLE leases (
        lease_id TEXT PRIMARY KEY,
        license_id TEXT NOT NULL REFERENCES licenses (license_id),
        product TEXT NOT NULL,
        client_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'released', 'expired')),
        acquired_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        term_ends_at INTEGER,
        ended_at INTEGER
      );
      CREATE UNIQUE INDEX leases_one_active_per_client
        ON leases (license_id, product, client_id) WHERE status = 'active';
      CREATE INDEX leases_active_by_expiry ON leases (license_id, product, expires_at) WHERE status = 'active';
      CREATE INDEX leases_ended ON leases (ended_at) WHERE status <> 'active';
    `,
  },
];

/** Crockford base32, lower case: easy to read out and type into the portal's activation form. */
const BASE32 = '0123456789abcdefghjkmnpqrstvwxyz';

/** `lts-` and 20 base32 characters (100 random bits). */
export function newLtsInstanceId(): string {
  const bytes = randomBytes(20);
  return `lts-${[...bytes].map((byte) => BASE32[byte & 31]).join('')}`;
}

export const DATABASE_FILE = 'lts.sqlite';

/**
 * Opens (creating if needed) the server's database in `dataDir`: WAL journal, a busy timeout,
 * foreign keys, pending migrations applied in one transaction each.
 */
export function openDatabase(dataDir: string): Sqlite {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new Database(join(dataDir, DATABASE_FILE));
  db.pragma('journal_mode = WAL');
  // FULL: a committed lease or licence survives a power cut, not only a killed process.
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

export function migrate(db: Sqlite): number[] {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  const applied = new Set(
    db
      .prepare<[], { version: number }>('SELECT version FROM schema_version')
      .all()
      .map((row) => row.version),
  );
  const ran: number[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        new Date().toISOString(),
      );
    }).immediate();
    ran.push(migration.version);
  }
  return ran;
}

export interface Instance {
  ltsInstanceId: string;
  createdAt: string;
}

/** This server's identity: made on the first start, then read back on every later one. */
export function ensureInstance(db: Sqlite, now: Date, newId: () => string = newLtsInstanceId): Instance {
  return db
    .transaction(() => {
      db.prepare(
        'INSERT OR IGNORE INTO instance (singleton, lts_instance_id, created_at) VALUES (1, ?, ?)',
      ).run(newId(), now.toISOString());
      const row = db
        .prepare<[], { lts_instance_id: string; created_at: string }>(
          'SELECT lts_instance_id, created_at FROM instance WHERE singleton = 1',
        )
        .get();
      if (!row) throw new Error('the instance row is missing');
      return { ltsInstanceId: row.lts_instance_id, createdAt: row.created_at };
    })
    .immediate();
}
