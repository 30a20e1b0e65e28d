import { ConfigError } from '@otl/platform';
import { loadConfig } from './config';

const base = {
  DATABASE_URL: 'postgres://portal@127.0.0.1:5433/portal',
  PORTAL_SESSION_KEY: 'ab'.repeat(32),
};

describe('portal configuration', () => {
  it('defaults to the local stack: port 3100, localhost origins, cookies not Secure', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      port: 3100,
      publicUrl: 'http://localhost:3100',
      secureCookies: false,
      accountUrl: 'http://127.0.0.1:3104',
      licenseUrl: 'http://127.0.0.1:3105',
      trackingUrl: 'http://127.0.0.1:3106',
      poIntakeUrl: 'http://127.0.0.1:3102',
      sessionIdleSeconds: 7200,
      sessionMaxSeconds: 43200,
    });
    expect([...config.allowedOrigins].sort()).toEqual([
      'http://127.0.0.1:3100',
      'http://[::1]:3100',
      'http://localhost:3100',
    ]);
    expect(config.sessionKey).toHaveLength(32);
  });

  it('uses Secure cookies and only its own origin (plus listed ones) outside localhost', () => {
    const config = loadConfig({
      ...base,
      PORTAL_URL: 'https://portal.example.com',
      PORTAL_ALLOWED_ORIGINS: 'https://www.example.com',
    });
    expect(config.secureCookies).toBe(true);
    expect([...config.allowedOrigins].sort()).toEqual([
      'https://portal.example.com',
      'https://www.example.com',
    ]);
  });

  it.each([
    [{ PORTAL_URL: 'http://portal.example.com' }, /PORTAL_URL must be https outside localhost/],
    [{ PORTAL_URL: 'https://portal.example.com/app' }, /PORTAL_URL must be an origin/],
    [{ PORTAL_SESSION_KEY: 'short' }, /PORTAL_SESSION_KEY/],
    [{ PORTAL_SESSION_KEY: '' }, /PORTAL_SESSION_KEY is required/],
    [
      { PORTAL_SESSION_IDLE_SECONDS: '7200', PORTAL_SESSION_MAX_SECONDS: '3600' },
      /IDLE_SECONDS must not exceed/,
    ],
    [{ PORTAL_ALLOWED_ORIGINS: 'portal.example.com' }, /PORTAL_ALLOWED_ORIGINS/],
    [{ ACCOUNT_URL: 'ftp://account' }, /ACCOUNT_URL/],
    [{ PO_INTAKE_URL: 'not a url' }, /PO_INTAKE_URL/],
  ])('refuses %j', (overrides, message) => {
    expect(() => loadConfig({ ...base, ...overrides })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ...overrides })).toThrow(message);
  });
});
