import {
  clearCookieHeader,
  newSessionId,
  readSessionId,
  sessionCookie,
  sessionIdHash,
  setCookieHeader,
} from './cookie';

describe('session cookie', () => {
  const local = sessionCookie(false);
  const secure = sessionCookie(true);

  it('is HttpOnly and SameSite=Strict, and Secure with the __Host- prefix outside localhost', () => {
    const id = newSessionId();
    expect(setCookieHeader(local, id, 3600)).toBe(
      `portal_session=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600`,
    );
    expect(setCookieHeader(secure, id, 3600)).toBe(
      `__Host-portal_session=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600; Secure`,
    );
    expect(clearCookieHeader(local)).toBe('portal_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0');
  });

  it('makes 256-bit random ids and keeps only their SHA-256', () => {
    const ids = new Set(Array.from({ length: 100 }, () => newSessionId()));
    expect(ids.size).toBe(100);
    const [id] = [...ids];
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sessionIdHash(id!)).toHaveLength(32);
    expect(sessionIdHash(id!).equals(sessionIdHash(id!))).toBe(true);
  });

  it('reads the id from a Cookie header among others', () => {
    const id = newSessionId();
    expect(readSessionId(`theme=dark; portal_session=${id}; lang=en`, local)).toBe(id);
    expect(readSessionId(`__Host-portal_session=${id}`, secure)).toBe(id);
  });

  it.each([
    ['no header', undefined],
    ['another cookie only', 'theme=dark'],
    ['a malformed id', 'portal_session=abc'],
    ['an id with a quote', `portal_session="${'a'.repeat(43)}"`],
    [
      'the cookie twice (a planted duplicate)',
      `portal_session=${'a'.repeat(43)}; portal_session=${'b'.repeat(43)}`,
    ],
  ])('reads nothing from %s', (_case, header) => {
    expect(readSessionId(header, local)).toBeUndefined();
  });

  it('does not take the secure cookie for the local one', () => {
    expect(readSessionId(`__Host-portal_session=${'a'.repeat(43)}`, local)).toBeUndefined();
  });
});
