import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Entitlement } from '@otl/contracts';
import { newLicenseKey, signLicenseFile, type LicenseFile, type LicenseFilePayload } from '@otl/licensing';
import { startService, type RunningService, type StorageCounter } from '@otl/testing';

export const ROOT = resolve(__dirname, '..', '..', '..');
export const MAIN = join(ROOT, 'dist', 'out-tsc', 'apps', 'tracking', 'src', 'main.js');
export const REGISTER_ALIASES = join(ROOT, 'tools', 'runtime', 'register-aliases.cjs');

/** A throwaway vendor signing key, and the JWKS file of its public half for LTS_VENDOR_KEYS_FILE. */
export interface VendorKey {
  kid: string;
  privateKey: KeyObject;
  keysFile: string;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `${prefix}-`));
}

export function vendorKey(dir: string, kid = `test-${randomUUID().slice(0, 8)}`): VendorKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const keysFile = join(dir, `${kid}.jwks.json`);
  const jwk = publicKey.export({ format: 'jwk' });
  writeFileSync(keysFile, JSON.stringify({ keys: [{ ...jwk, kid, alg: 'EdDSA', use: 'sig' }] }));
  return { kid, privateKey, keysFile };
}

export const YEAR_MS = 365 * 24 * 3600 * 1000;

/** A self-hosted licence's payload as the license service would sign it, for `ltsInstanceId`. */
export function payloadFor(
  ltsInstanceId: string | null,
  entitlements: Entitlement[],
  overrides: Partial<LicenseFilePayload> = {},
): LicenseFilePayload {
  return {
    licenseId: randomUUID(),
    licenseKey: newLicenseKey(),
    accountId: randomUUID(),
    trackingMode: 'self-hosted',
    ltsInstanceId,
    trackingUrl: null,
    entitlements,
    issuedAt: new Date().toISOString(),
    ...overrides,
  };
}

export const sign = (payload: LicenseFilePayload, key: VendorKey): LicenseFile =>
  signLicenseFile(payload, { kid: key.kid, privateKey: key.privateKey });

export const seats = (product: string, count: number, expiresAt: string | null = null): Entitlement => ({
  product,
  unit: 'device',
  seats: count,
  expiresAt,
});

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** One JSON request; problem bodies are returned as bodies, never thrown. */
export async function call(url: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    headers: response.headers,
  };
}

/** The refusal reason at the end of a problem's `type`. */
export const reason = (answer: Answer): string => String(answer.body['type']).split('/').pop() ?? '';

/** Starts the compiled server in self-hosted mode on `dataDir`, trusting `keysFile`. */
export function startSelfHosted(
  dataDir: string,
  keysFile: string,
  env: Record<string, string> = {},
  port?: number,
): Promise<RunningService> {
  return startService(
    'tracking',
    { LTS_MODE: 'self-hosted', LTS_DATA_DIR: dataDir, LTS_VENDOR_KEYS_FILE: keysFile, ...env },
    { port },
  );
}

/** Rows in every table of a self-hosted server's database, read through a read-only connection. */
export function sqliteRowCounts(dataDir: string): Record<string, number> {
  const db = new Database(join(dataDir, 'lts.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .pluck()
      .all() as string[];
    if (!tables.includes('leases')) throw new Error(`no leases table in ${dataDir}`);
    return Object.fromEntries(
      tables.map((name) => [name, db.prepare(`SELECT count(*) FROM "${name}"`).pluck().get() as number]),
    );
  } finally {
    db.close();
  }
}

/** Row counts of a self-hosted server's database around `during` (it has no consumers to hold still). */
export const sqliteCounter =
  (dataDir: string): StorageCounter =>
  async (during) => {
    const before = sqliteRowCounts(dataDir);
    const result = await during();
    return { before, after: sqliteRowCounts(dataDir), result };
  };
