import { randomUUID } from 'node:crypto';
import { deflateSync } from 'node:zlib';
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

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A real PNG of one colour (a purchase order "scan" a browser can draw). */
export function solidPng(width: number, height: number, rgb: [number, number, number]): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(pixels)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A one-page PDF saying `text`. */
export function tinyPdf(text: string): Buffer {
  const stream = `BT /F1 24 Tf 20 60 Td (${text}) Tj ET`;
  return Buffer.from(
    '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
      '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 144]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n' +
      `4 0 obj<</Length ${stream.length}>>stream\n${stream}\nendstream endobj\n` +
      '5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
  );
}

export interface SubmittedPo {
  purchaseOrderId: string;
  dueBy: string;
  poNumber: string;
}

/** A purchase order submitted to po-intake directly, as sales tooling does, with a staff token. */
export async function submitPurchaseOrder(
  poIntakeUrl: string,
  accessToken: string,
  document: { filename: string; contentType: string; bytes: Buffer },
  customerEmail = `po.buyer.${randomUUID().slice(0, 8)}@example.com`,
): Promise<SubmittedPo> {
  const poNumber = `PO-${randomUUID().slice(0, 8).toUpperCase()}`;
  const response = await fetch(`${poIntakeUrl}/v1/purchase-orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({
      poNumber,
      customer: { email: customerEmail, name: 'PO Buyer', company: 'Example Ltd' },
      items: [JS],
      currency: 'USD',
      total: '2498.00',
      document: {
        filename: document.filename,
        contentType: document.contentType,
        contentBase64: document.bytes.toString('base64'),
      },
    }),
  });
  const body = (await response.json()) as Partial<SubmittedPo>;
  if (response.status !== 201 || !body.purchaseOrderId || !body.dueBy) {
    throw new Error(`po-intake answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return { purchaseOrderId: body.purchaseOrderId, dueBy: body.dueBy, poNumber };
}

export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & unknown[];
  text: string;
}

/** A browser as the portal sees it: one cookie jar, its own Origin on unsafe requests. */
export class Browser {
  cookie: string | undefined;
  constructor(
    private readonly url: string,
    private readonly origin = url,
  ) {}

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const sent: Record<string, string> = { accept: 'application/json', ...headers };
    if (method !== 'GET') sent.origin = this.origin;
    if (body !== undefined) sent['content-type'] = 'application/json';
    if (this.cookie) sent.cookie = this.cookie;
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) {
      const [pair] = setCookie.split(';');
      this.cookie = pair!.endsWith('=') ? undefined : pair;
    }
    const text = await response.text();
    let parsed: unknown = {};
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = {};
    }
    return { status: response.status, headers: response.headers, body: parsed as Answer['body'], text };
  }
}
