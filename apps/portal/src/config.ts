import { join, resolve } from 'node:path';
import { ConfigError, EnvReader, readHttpServiceConfig, type HttpServiceConfig } from '@otl/platform';

export const SERVICE_NAME = 'portal';
export const DEFAULT_PORT = 3100;
export const DEFAULT_PORTAL_URL = 'http://localhost:3100';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface PortalConfig extends HttpServiceConfig {
  databaseUrl: string;
  databasePoolSize: number;
  /** Where customers reach the portal; its origin is the one unsafe requests must come from. */
  publicUrl: string;
  /** Origins whose unsafe requests are accepted: the public URL's, its loopback twins, and extras. */
  allowedOrigins: ReadonlySet<string>;
  /** Outside localhost the session cookie is `Secure` (and `__Host-` prefixed). */
  secureCookies: boolean;
  accountUrl: string;
  licenseUrl: string;
  /** The vendor-hosted tracking service (usage charts); while it is unreachable, usage is "not available yet". */
  trackingUrl: string;
  /** The purchase-order intake the sales desk works on (staff only). */
  poIntakeUrl: string;
  /** 32 bytes: encrypts the tokens a session holds (AES-256-GCM). */
  sessionKey: Buffer;
  /** A session unused this long ends. */
  sessionIdleSeconds: number;
  /** A session ends this long after sign-in, used or not. */
  sessionMaxSeconds: number;
  /** A call to account, license, tracking or po-intake that takes longer fails (503 to the browser). */
  upstreamTimeoutMs: number;
  /** The built single-page app (index.html and assets/). */
  webDir: string;
  trustProxy: boolean;
}

/** The public URL's origin plus, for a loopback URL, the same port on the other loopback names. */
function originsOf(publicUrl: URL, extra: string[]): Set<string> {
  const origins = new Set([publicUrl.origin, ...extra.map((origin) => new URL(origin).origin)]);
  if (LOOPBACK_HOSTS.has(publicUrl.hostname)) {
    for (const host of LOOPBACK_HOSTS) {
      const twin = new URL(publicUrl.origin);
      twin.hostname = host;
      origins.add(twin.origin);
    }
  }
  return origins;
}

export function loadConfig(source: Record<string, string | undefined> = process.env): PortalConfig {
  const env = new EnvReader(source);
  const http = readHttpServiceConfig(env, SERVICE_NAME, DEFAULT_PORT);
  const databaseUrl = env.url('DATABASE_URL', { protocols: ['postgres', 'postgresql'] });
  const databasePoolSize = env.int('DATABASE_POOL_SIZE', { default: 10, min: 1, max: 500 });
  const publicUrl = env.url('PORTAL_URL', { default: DEFAULT_PORTAL_URL, protocols: ['http', 'https'] });
  const extraOrigins = env.list('PORTAL_ALLOWED_ORIGINS', {
    default: [],
    item: /^https?:\/\/[^/\s]+$/,
    hint: 'origins such as https://portal.example.com, comma-separated',
  });
  const accountUrl = env.url('ACCOUNT_URL', {
    default: 'http://127.0.0.1:3104',
    protocols: ['http', 'https'],
  });
  const licenseUrl = env.url('LICENSE_URL', {
    default: 'http://127.0.0.1:3105',
    protocols: ['http', 'https'],
  });
  const trackingUrl = env.url('TRACKING_URL', {
    default: 'http://127.0.0.1:3106',
    protocols: ['http', 'https'],
  });
  const poIntakeUrl = env.url('PO_INTAKE_URL', {
    default: 'http://127.0.0.1:3102',
    protocols: ['http', 'https'],
  });
  const sessionKeyHex = env.string('PORTAL_SESSION_KEY', {
    pattern: /^[0-9a-fA-F]{64}$/,
    hint: '32 random bytes as 64 hex digits, e.g. `openssl rand -hex 32`',
  });
  const sessionIdleSeconds = env.int('PORTAL_SESSION_IDLE_SECONDS', {
    default: 2 * 3600,
    min: 60,
    max: 86400,
  });
  const sessionMaxSeconds = env.int('PORTAL_SESSION_MAX_SECONDS', {
    default: 12 * 3600,
    min: 60,
    max: 30 * 86400,
  });
  const upstreamTimeoutMs = env.int('PORTAL_UPSTREAM_TIMEOUT_MS', {
    default: 10_000,
    min: 100,
    max: 120_000,
  });
  const webDir = resolve(
    env.string('PORTAL_WEB_DIR', { default: join(__dirname, '..', '..', '..', '..', 'portal-web') }),
  );
  const trustProxy = env.oneOf('TRUST_PROXY', ['true', 'false'], 'false') === 'true';
  env.done();

  const problems: string[] = [];
  const url = new URL(publicUrl);
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (!loopback && url.protocol !== 'https:') {
    problems.push(
      `PORTAL_URL must be https outside localhost (the session cookie is Secure), got ${publicUrl}`,
    );
  }
  if (url.pathname !== '/' || url.search || url.hash) {
    problems.push(`PORTAL_URL must be an origin without path, query or fragment, got ${publicUrl}`);
  }
  if (sessionIdleSeconds > sessionMaxSeconds) {
    problems.push('PORTAL_SESSION_IDLE_SECONDS must not exceed PORTAL_SESSION_MAX_SECONDS');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...http,
    databaseUrl,
    databasePoolSize,
    publicUrl: url.origin,
    allowedOrigins: originsOf(url, extraOrigins),
    secureCookies: !loopback,
    accountUrl: accountUrl.replace(/\/+$/, ''),
    licenseUrl: licenseUrl.replace(/\/+$/, ''),
    trackingUrl: trackingUrl.replace(/\/+$/, ''),
    poIntakeUrl: poIntakeUrl.replace(/\/+$/, ''),
    sessionKey: Buffer.from(sessionKeyHex, 'hex'),
    sessionIdleSeconds,
    sessionMaxSeconds,
    upstreamTimeoutMs,
    webDir,
    trustProxy,
  };
}
