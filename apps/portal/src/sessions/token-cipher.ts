import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** The tokens a session holds for the customer: never sent to the browser, encrypted at rest. */
export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 1;

/**
 * AES-256-GCM with a fresh 96-bit IV per write; the session id is the additional authenticated data,
 * so a sealed row copied onto another session does not open. Layout: version, IV, tag, ciphertext.
 */
export class TokenCipher {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the session key must be 32 bytes');
  }

  seal(tokens: SessionTokens, sessionId: Buffer): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(sessionId);
    const body = Buffer.concat([cipher.update(JSON.stringify(tokens), 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), body]);
  }

  /** Throws when the data was not sealed with this key for this session. */
  open(sealed: Buffer, sessionId: Buffer): SessionTokens {
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) {
      throw new Error('not a sealed session');
    }
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAAD(sessionId);
    decipher.setAuthTag(tag);
    const text = Buffer.concat([
      decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]);
    const parsed = JSON.parse(text.toString('utf8')) as Partial<SessionTokens>;
    if (typeof parsed.accessToken !== 'string' || typeof parsed.refreshToken !== 'string') {
      throw new Error('sealed session has no tokens');
    }
    return { accessToken: parsed.accessToken, refreshToken: parsed.refreshToken };
  }
}
