import { randomBytes } from 'node:crypto';
import { requireEnv, uniqueName } from './env';
import { createTestDatabase, type TestDatabase } from './postgres';
import { freePort, startService, type RunningService } from './service';
import { createStaffMember, type StaffMember, type StaffRole } from './staff';
import { newSigningKey, Store } from './store';

export interface PlatformOptions {
  /** Prefix of the databases and consumer groups, for reading logs. */
  label: string;
  /** Lifetime of access tokens (the account service's minimum is 30 s), to see renewals happen. */
  accessTokenTtlSeconds?: number;
  /** Extra settings of the portal (say, a short idle timeout). */
  portalEnv?: Record<string, string>;
  /** Also run po-intake (the sales desk's purchase orders), wired to this account service. */
  poIntake?: boolean | { env?: Record<string, string> };
}

/** The customer's side of the platform, running: store-webhook, account, license, tracking, portal. */
export interface Platform {
  store: Store;
  account: RunningService;
  license: RunningService;
  tracking: RunningService;
  portal: RunningService;
  /** Running when `poIntake` was asked for, on its own database. */
  poIntake?: RunningService;
  poIntakeDb?: TestDatabase;
  /** The portal's PORTAL_SESSION_KEY (hex), to open its sealed sessions in a spec. */
  portalSessionKey: string;
  /** The account service's ACCESS_TOKEN_SIGNING_KEY (base64 of a PKCS#8 PEM), to forge tokens in a spec. */
  accessTokenSigningKey: string;
  /** The portal's database, to look at its sessions. */
  portalDb: TestDatabase;
  /** A new staff member with this role, made with the operator command and signed in. */
  staff(role: StaffRole, email?: string): Promise<StaffMember>;
  /** Starts a stopped service again, same port and settings (its field then names the new process). */
  restart(name: 'account' | 'license' | 'tracking' | 'portal' | 'poIntake'): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the services a customer's journey crosses, each on its own test database and consumer
 * groups, wired as `npm start` wires them; mailed links point at this portal.
 */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const { label } = options;
  const names = ['account', 'license', 'tracking', 'portal', ...(options.poIntake ? ['po_intake'] : [])];
  const dbs = await Promise.all(names.map((name) => createTestDatabase(`${label}_${name}`)));
  const [accountDb, licenseDb, trackingDb, portalDb, poIntakeDb] = dbs as [
    TestDatabase,
    TestDatabase,
    TestDatabase,
    TestDatabase,
    TestDatabase | undefined,
  ];
  const started: RunningService[] = [];
  let store: Store | undefined;
  try {
    const brokers = requireEnv('KAFKA_BROKERS');
    const portalPort = await freePort();
    const portalUrl = `http://localhost:${portalPort}`;
    store = await Store.start();
    const accountEnv: Record<string, string> = {
      DATABASE_URL: accountDb.url,
      KAFKA_BROKERS: brokers,
      SMTP_URL: requireEnv('SMTP_URL'),
      ACCESS_TOKEN_SIGNING_KEY: newSigningKey(),
      PURCHASES_CONSUMER_GROUP: uniqueName(`${label}-account`),
      PORTAL_URL: portalUrl,
      ...(options.accessTokenTtlSeconds
        ? { ACCESS_TOKEN_TTL_SECONDS: String(options.accessTokenTtlSeconds) }
        : {}),
    };
    const account = await startService('account', accountEnv);
    started.push(account);
    const jwks = `${account.url}/.well-known/jwks.json`;
    const trackingPort = await freePort();
    const settings: Record<'license' | 'tracking', Record<string, string>> = {
      license: {
        DATABASE_URL: licenseDb.url,
        KAFKA_BROKERS: brokers,
        LICENSE_SIGNING_KEY: newSigningKey(),
        ACCESS_TOKEN_JWKS_URL: jwks,
        LICENSE_CONSUMER_GROUP: uniqueName(`${label}-license`),
        VENDOR_TRACKING_URL: `http://127.0.0.1:${trackingPort}`,
      },
      tracking: {
        DATABASE_URL: trackingDb.url,
        KAFKA_BROKERS: brokers,
        ACCESS_TOKEN_JWKS_URL: jwks,
        TRACKING_CONSUMER_GROUP: uniqueName(`${label}-tracking`),
      },
    };
    const poIntakeEnv: Record<string, string> | undefined = poIntakeDb && {
      DATABASE_URL: poIntakeDb.url,
      KAFKA_BROKERS: brokers,
      ACCESS_TOKEN_JWKS_URL: jwks,
      ...(typeof options.poIntake === 'object' ? options.poIntake.env : {}),
    };
    const [license, tracking, poIntake] = await Promise.all([
      startService('license', settings.license),
      startService('tracking', settings.tracking, { port: trackingPort }),
      poIntakeEnv ? startService('po-intake', poIntakeEnv) : undefined,
    ]);
    started.push(license, tracking, ...(poIntake ? [poIntake] : []));
    const portalSessionKey = randomBytes(32).toString('hex');
    const portalEnv = {
      DATABASE_URL: portalDb.url,
      PORTAL_URL: portalUrl,
      PORTAL_SESSION_KEY: portalSessionKey,
      ACCOUNT_URL: account.url,
      LICENSE_URL: license.url,
      TRACKING_URL: tracking.url,
      ...(poIntake ? { PO_INTAKE_URL: poIntake.url } : {}),
      ...options.portalEnv,
    };
    const portal = await startService('portal', portalEnv, { port: portalPort });
    started.push(portal);
    const envs = { account: accountEnv, ...settings, portal: portalEnv, poIntake: poIntakeEnv };
    const serviceNames = {
      account: 'account',
      license: 'license',
      tracking: 'tracking',
      portal: 'portal',
      poIntake: 'po-intake',
    };
    const running = store;
    const platform: Platform = {
      store: running,
      account,
      license,
      tracking,
      portal,
      poIntake,
      poIntakeDb,
      portalSessionKey,
      accessTokenSigningKey: accountEnv.ACCESS_TOKEN_SIGNING_KEY!,
      portalDb,
      staff: (role, email) =>
        createStaffMember({ url: platform.account.url, databaseUrl: accountDb.url, portalUrl }, role, email),
      async restart(name) {
        const previous = platform[name];
        const env = envs[name];
        if (!previous || !env) throw new Error(`${name} is not part of this platform`);
        await previous.stop();
        platform[name] = await startService(serviceNames[name], env, { port: previous.port });
      },
      async stop() {
        await Promise.all(
          [platform.portal, platform.license, platform.tracking, platform.poIntake].map((service) =>
            service?.stop(),
          ),
        );
        await platform.account.stop();
        await running.stop();
        await Promise.all(dbs.map((db) => db.drop()));
      },
    };
    return platform;
  } catch (error) {
    await Promise.all(started.map((service) => service.kill()));
    await store?.stop();
    await Promise.all(dbs.map((db) => db.drop()));
    throw error;
  }
}
