import { createHash, randomBytes } from 'node:crypto';

/** The session cookie: an opaque 256-bit random id; the server keeps only its SHA-256. */
export interface SessionCookie {
  name: string;
  secure: boolean;
}

/** `__Host-` binds the cookie to this origin (Secure, Path=/, no Domain); it needs Secure, so not on localhost. */
export const sessionCookie = (secure: boolean): SessionCookie => ({
  name: secure ? '__Host-portal_session' : 'portal_session',
  secure,
});

const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/** What the database holds for a session id: it cannot be turned back into a usable cookie. */
export function sessionIdHash(id: string): Buffer {
  return createHash('sha256').update(id).digest();
}

/** The session id from a Cookie header, or undefined (absent, malformed, or given twice). */
export function readSessionId(header: string | undefined, cookie: SessionCookie): string | undefined {
  if (!header) return undefined;
  const values = header
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair.startsWith(`${cookie.name}=`))
    .map((pair) => pair.slice(cookie.name.length + 1));
  const [value] = values;
  if (values.length !== 1 || value === undefined) return undefined;
  return ID_PATTERN.test(value) ? value : undefined;
}

export function setCookieHeader(cookie: SessionCookie, id: string, maxAgeSeconds: number): string {
  const attributes = [
    `${cookie.name}=${id}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
  ];
  if (cookie.secure) attributes.push('Secure');
  return attributes.join('; ');
}

export function clearCookieHeader(cookie: SessionCookie): string {
  return setCookieHeader(cookie, '', 0);
}
