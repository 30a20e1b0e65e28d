import { Client } from 'pg';
import { importJwks } from '@otl/auth';
import { verifyLicenseFile, type LicenseFile, type LicenseFilePayload } from '@otl/licensing';
import { MailCatcher, mailedLink, type Platform } from '@otl/testing';
import { TokenCipher, type SessionTokens } from '../src/sessions/token-cipher';

export const PASSWORD = 'correct horse battery staple';
export const JS = { sku: 'BARCODE-JS-DEVICE-1Y', quantity: 2, unitPrice: '1249.00' };
export const TWAIN = { sku: 'WEBTWAIN-PRO-DOMAIN-1Y', quantity: 1, unitPrice: '899.00' };

/** The tokens every session of the portal holds, opened with its key (what only the server can do). */
export async function sessionTokens(platform: Platform): Promise<SessionTokens[]> {
  const client = new Client({ connectionString: platform.portalDb.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ id_hash: Buffer; tokens: Buffer }>(
      'SELECT id_hash, tokens FROM portal_sessions ORDER BY created_at',
    );
    const cipher = new TokenCipher(Buffer.from(platform.portalSessionKey, 'hex'));
    return rows.map((row) => cipher.open(row.tokens, row.id_hash));
  } finally {
    await client.end();
  }
}

/** Makes every session's access token due for renewal, as if its time were up. */
export async function ageAccessTokens(platform: Platform): Promise<void> {
  const client = new Client({ connectionString: platform.portalDb.url });
  await client.connect();
  try {
    await client.query("UPDATE portal_sessions SET refresh_at = now() - interval '1 second'");
  } finally {
    await client.end();
  }
}

/** The set-password link mailed to a store buyer without an account. */
export async function setPasswordLink(
  mail: MailCatcher,
  email: string,
): Promise<{ url: URL; token: string }> {
  const [mailed] = await mail.waitFor(email);
  return mailedLink(mailed!, '/set-password');
}

/** Verifies a downloaded licence file with the keys the license service publishes. */
export async function verifiedPayload(
  platform: Platform,
  file: LicenseFile,
): Promise<LicenseFilePayload | undefined> {
  const answer = await fetch(`${platform.license.url}/.well-known/license-signing-keys`);
  const { keys } = importJwks(await answer.json());
  return verifyLicenseFile(file, (kid) => keys.get(kid));
}
