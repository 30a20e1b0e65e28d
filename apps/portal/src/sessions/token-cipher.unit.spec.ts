import { randomBytes } from 'node:crypto';
import { TokenCipher } from './token-cipher';

describe('TokenCipher', () => {
  const key = randomBytes(32);
  const cipher = new TokenCipher(key);
  const session = randomBytes(32);
  const tokens = { accessToken: 'eyJhbGciOiJFZERTQSJ9.payload.signature', refreshToken: 'rt_secret_value' };

  it('opens what it sealed, and the sealed bytes show no token', () => {
    const sealed = cipher.seal(tokens, session);
    expect(cipher.open(sealed, session)).toEqual(tokens);
    expect(sealed.toString('latin1')).not.toContain('rt_secret_value');
    expect(sealed.toString('latin1')).not.toContain('eyJ');
  });

  it('uses a fresh IV for every seal', () => {
    expect(cipher.seal(tokens, session).equals(cipher.seal(tokens, session))).toBe(false);
  });

  it('refuses sealed data of another session, another key, or tampered with', () => {
    const sealed = cipher.seal(tokens, session);
    expect(() => cipher.open(sealed, randomBytes(32))).toThrow();
    expect(() => new TokenCipher(randomBytes(32)).open(sealed, session)).toThrow();
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 1;
    expect(() => cipher.open(tampered, session)).toThrow();
    expect(() => cipher.open(Buffer.alloc(10), session)).toThrow(/not a sealed session/);
  });

  it('wants a 32-byte key', () => {
    expect(() => new TokenCipher(randomBytes(16))).toThrow(/32 bytes/);
  });
});
