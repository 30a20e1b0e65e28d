// The fuzz stage of `npm test`: schemathesis (an OpenAPI fuzzer none of us wrote) against every
// service of services.mjs, started as processes on the test infrastructure. A service added there is
// fuzzed too. Each failing check of each service counts as one failure in the run's summary.
//
// schemathesis is installed from PyPI into .cache/schemathesis-<version> (a Python virtualenv), once;
// later runs reuse it. Needs python3 with the venv module.
import { spawn, spawnSync } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { paint, repoRoot, run } from './bootstrap.mjs';
import { ensureSecrets } from './env.mjs';
import { createResellerKey } from './reseller-keys.mjs';
import { serviceNodeArgs, services } from './services.mjs';
import { createStaffMember } from './staff.mjs';
import { ensureDatabase, withDatabase } from '../infra/postgres.mjs';
import { freePort, stopChild, tail, waitFor } from '../infra/process.mjs';

export const SCHEMATHESIS_VERSION = '4.32.5';
const VENV = join(repoRoot, '.cache', `schemathesis-${SCHEMATHESIS_VERSION}`);
const SCHEMATHESIS = join(VENV, 'bin', 'schemathesis');

/** Budget per service: at most this many cases per operation and phase, all within this many seconds. */
const MAX_EXAMPLES = 40;
const MAX_SECONDS = 45;
const PHASES = 'examples,coverage,fuzzing,stateful';
const PASSWORD = 'fuzz correct horse battery';

/**
 * Checks left out per service, each with the reason; everything else of `--checks all` runs.
 * @type {Record<string, Record<string, string>>}
 */
const EXCLUDED_CHECKS = {};

/**
 * Operations left out per service (by OpenAPI operationId), each with the reason.
 * @type {Record<string, Record<string, string>>}
 */
const EXCLUDED_OPERATIONS = {
  portal: {
    SessionController_signOut:
      'signing out ends the one session the whole run fuzzes with (every later request would be a 401); ' +
      'apps/portal/test covers it',
  },
};

/**
 * @typedef {object} FuzzResult
 * @property {number} passed   services on which no check failed
 * @property {number} failed   failures schemathesis reported (one per failing check and operation), and errors
 * @property {string[]} report  lines for the summary
 */

/**
 * @param {{ infra: import('./infra.mjs').Infra, workDir: string, log: (message: string) => void }} options
 * @returns {Promise<FuzzResult>}
 */
export async function runFuzz({ infra, workDir, log }) {
  /** @type {FuzzResult} */
  const result = { passed: 0, failed: 0, report: [] };
  const started = Date.now();
  if (!(await ensureSchemathesis(log))) {
    result.failed += 1;
    result.report.push(paint('red', 'fuzz: could not install schemathesis (counted as 1 failure)'));
    return result;
  }
  const dir = join(workDir, 'fuzz');
  mkdirSync(dir, { recursive: true });
  /** @type {{ name: string, child: import('node:child_process').ChildProcess }[]} */
  const running = [];
  try {
    const stack = await startServices(infra, dir, running, log);
    stack.urls[SELF_HOSTED_LTS] = await startSelfHostedLts(dir, running, log);
    const { token, email } = await seedBuyer(stack, infra, log);
    // The sales desk's API is staff-only: it is fuzzed as a sales manager.
    const staffToken = stack.urls['po-intake'] ? await seedStaff(stack, infra, log) : '';
    const portalHeaders = stack.urls.portal ? await portalSession(stack.urls.portal, email, log) : [];
    // Resellers' systems authenticate with an API key: fuzzed with a real one, issued as an operator does.
    const resellerKey = stack.urls['reseller-intake'] ? await seedResellerKey(infra, log) : '';
    /** @type {Record<string, string>} */
    const bearerOf = { 'po-intake': staffToken, 'reseller-intake': resellerKey };
    // FUZZ_ONLY=license,account narrows the run while working on one service's findings.
    const only = process.env.FUZZ_ONLY?.split(',').filter(Boolean);
    const targets = [...services.map(({ name }) => name), SELF_HOSTED_LTS];
    for (const name of targets.filter((target) => !only || only.includes(target))) {
      if (process.env.FUZZ_SAVE_DOCS)
        writeFileSync(
          join(process.env.FUZZ_SAVE_DOCS, `${name}.json`),
          await (await fetch(`${stack.urls[name]}/docs-json`)).text(),
        );
      const outcome = await fuzzService(
        name,
        stack.urls[name],
        name === 'portal' ? portalHeaders : [`Authorization: Bearer ${bearerOf[name] ?? token}`],
        stack.secrets.STORE_WEBHOOK_SECRET ?? '',
        dir,
        log,
      );
      result.passed += outcome.passed;
      result.failed += outcome.failed;
      result.report.push(outcome.line);
    }
  } catch (error) {
    result.failed += 1;
    const message = error instanceof Error ? error.message : String(error);
    result.report.push(paint('red', `fuzz: ${message.split('\n')[0]} (counted as 1 failure)`));
    console.error(paint(['red', 'bold'], `!!! ${message}`));
  } finally {
    await Promise.all(running.map(({ name, child }) => stopChild(child, { name, timeoutMs: 10_000, log })));
  }
  log(`fuzz stage took ${((Date.now() - started) / 1000).toFixed(0)}s`);
  return result;
}

/** @param {(message: string) => void} log */
async function ensureSchemathesis(log) {
  if (existsSync(SCHEMATHESIS)) {
    if (spawnSync(SCHEMATHESIS, ['--version'], { stdio: 'ignore' }).status === 0) {
      log(`schemathesis ${SCHEMATHESIS_VERSION}: reusing ${VENV}`);
      return true;
    }
    log(`schemathesis in ${VENV} does not run (an interrupted install?); installing it again`);
    rmSync(VENV, { recursive: true, force: true });
  }
  log(`schemathesis ${SCHEMATHESIS_VERSION}: installing into ${VENV} (python3 -m venv, pip install; once)`);
  if ((await run('python3', ['-m', 'venv', VENV])) !== 0) return false;
  const pip = join(VENV, 'bin', 'pip');
  if ((await run(pip, ['install', '--quiet', `schemathesis==${SCHEMATHESIS_VERSION}`])) !== 0) return false;
  return existsSync(SCHEMATHESIS);
}

/**
 * @typedef {object} Stack
 * @property {Record<string, string>} urls  base URL by service name
 * @property {Record<string, string>} secrets
 */

/**
 * Every service on a free port with its own database, as `npm start` runs them.
 * @param {import('./infra.mjs').Infra} infra
 * @param {string} dir
 * @param {{ name: string, child: import('node:child_process').ChildProcess }[]} running
 * @param {(message: string) => void} log
 * @returns {Promise<Stack>}
 */
async function startServices(infra, dir, running, log) {
  const { secrets } = ensureSecrets(join(dir, 'secrets.env'), services);
  /** @type {Record<string, number>} */
  const ports = {};
  for (const service of services) ports[service.name] = /** @type {number} */ (await freePort(0));
  const urls = Object.fromEntries(
    Object.entries(ports).map(([name, port]) => [name, `http://127.0.0.1:${port}`]),
  );
  /** @type {Record<string, string>} */
  const shared = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    KAFKA_BROKERS: infra.brokers,
    SMTP_URL: infra.smtpUrl,
    ...secrets,
  };
  if (urls.account) shared.ACCESS_TOKEN_JWKS_URL = `${urls.account}/.well-known/jwks.json`;
  // The portal calls the other services of this run, and accepts unsafe requests from its own origin.
  if (urls.portal) {
    Object.assign(shared, {
      PORTAL_URL: urls.portal,
      ACCOUNT_URL: urls.account,
      LICENSE_URL: urls.license,
      TRACKING_URL: urls.tracking,
      ...(urls['po-intake'] ? { PO_INTAKE_URL: urls['po-intake'] } : {}),
    });
  }
  shared.LTS_RATE_LIMIT_PER_MINUTE = UNLIMITED_LEASE_REQUESTS;
  // The fuzzer signs in and registers thousands of times from one address; the limiter's own
  // behaviour is proven by the account e2e spec, not here.
  for (const limit of ['SIGN_IN', 'RESET', 'REGISTER'])
    for (const per of ['PER_ACCOUNT', 'PER_CLIENT']) shared[`RATE_LIMIT_${limit}_${per}`] = '999999/1';
  shared.RATE_LIMIT_REFRESH_PER_CLIENT = '999999/1'; // made-up refresh tokens are refused refreshes
  // The fuzzer sends all its reseller requests with one key (two workers, no pause); the per-key
  // limit is proven by reseller-intake's e2e specs.
  shared.RESELLER_RATE_LIMIT = '999999/1';
  await Promise.all(
    services.map(async (service) => {
      const database = `fuzz_${service.database}`;
      await ensureDatabase(infra.adminUrl, database);
      const output = openSync(join(dir, `${service.name}.log`), 'a');
      const args = [...serviceNodeArgs, '-r', './tools/runtime/register-aliases.cjs', service.main];
      const child = spawn(process.execPath, args, {
        cwd: repoRoot,
        env: {
          ...shared,
          PORT: String(ports[service.name]),
          DATABASE_URL: withDatabase(infra.adminUrl, database),
        },
        stdio: ['ignore', output, output],
      });
      running.push({ name: service.name, child });
      await waitUntilReady(service.name, urls[service.name], child, join(dir, `${service.name}.log`));
      log(`${service.name} ready at ${urls[service.name]}`);
    }),
  );
  return { urls, secrets };
}

/** The fuzz target name of the customer's self-hosted LTS (the tracking program in its other mode). */
const SELF_HOSTED_LTS = 'tracking-self-hosted';
/** The lease API's per-address limit is proven by the tracking e2e specs; the fuzzer sends thousands. */
const UNLIMITED_LEASE_REQUESTS = '100000000';

/**
 * @param {string} name
 * @param {string} url
 * @param {import('node:child_process').ChildProcess} child
 * @param {string} logFile
 */
async function waitUntilReady(name, url, child, logFile) {
  await waitFor(async () => (await fetch(`${url}/health/ready`)).status === 200, {
    timeoutMs: 60_000,
    abort: () =>
      child.exitCode === null ? undefined : `${name} exited with ${child.exitCode}:\n${tail(logFile)}`,
    onTimeout: () => `${name} did not become ready in 60s:\n${tail(logFile)}`,
  });
}

/**
 * The self-hosted LTS on a free port with a throwaway data folder and a vendor key of its own (no
 * licence file the fuzzer could make verifies, so it exercises every refusal).
 * @param {string} dir
 * @param {{ name: string, child: import('node:child_process').ChildProcess }[]} running
 * @param {(message: string) => void} log
 */
async function startSelfHostedLts(dir, running, log) {
  const tracking = services.find((service) => service.name === 'tracking');
  if (!tracking) throw new Error('services.mjs lists no tracking service');
  const port = /** @type {number} */ (await freePort(0));
  const keysFile = join(dir, 'lts-vendor-keys.jwks.json');
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  writeFileSync(
    keysFile,
    JSON.stringify({ keys: [{ ...jwk, kid: 'fuzz-vendor', alg: 'EdDSA', use: 'sig' }] }),
  );
  const logFile = join(dir, `${SELF_HOSTED_LTS}.log`);
  const output = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['-r', './tools/runtime/register-aliases.cjs', tracking.main], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      LTS_MODE: 'self-hosted',
      LTS_DATA_DIR: join(dir, 'lts-data'),
      LTS_VENDOR_KEYS_FILE: keysFile,
      LTS_RATE_LIMIT_PER_MINUTE: UNLIMITED_LEASE_REQUESTS,
    },
    stdio: ['ignore', output, output],
  });
  running.push({ name: SELF_HOSTED_LTS, child });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(SELF_HOSTED_LTS, url, child, logFile);
  log(`${SELF_HOSTED_LTS} ready at ${url}`);
  return url;
}

/**
 * A real customer: a signed store order for a new address, the password set through the mailed link,
 * signed in. Their purchase gives the licence endpoints data to work on. Returns the access token and the address.
 * @param {Stack} stack
 * @param {import('./infra.mjs').Infra} infra
 * @param {(message: string) => void} log
 */
async function seedBuyer(stack, infra, log) {
  const email = `fuzz.${randomUUID().slice(0, 8)}@example.com`;
  const body = JSON.stringify({
    type: 'order.completed',
    data: {
      orderId: `FUZZ-${randomUUID().slice(0, 8)}`,
      completedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      currency: 'USD',
      customer: { email, name: 'Fuzz Buyer', company: null },
      items: [
        { sku: 'BARCODE-JS-DEVICE-1Y', quantity: 2, unitPrice: '1249.00' },
        { sku: 'WEBTWAIN-PRO-DOMAIN-1Y', quantity: 1, unitPrice: '899.00' },
      ],
      total: '3397.00',
    },
  });
  const delivered = await fetch(`${stack.urls['store-webhook']}/v1/webhooks/store`, {
    method: 'POST',
    headers: signWebhook(stack.secrets.STORE_WEBHOOK_SECRET, body),
    body,
  });
  if (delivered.status !== 202) throw new Error(`seeding: store webhook answered ${delivered.status}`);

  /** @type {string | undefined} */
  let resetToken;
  await waitFor(
    async () => {
      const answer = await fetch(
        `${infra.maildevUrl}/api/email?${new URLSearchParams({ 'to.address': email })}`,
      );
      const mails = /** @type {{ text: string }[]} */ (await answer.json());
      resetToken =
        mails
          .flatMap((mail) => mail.text.match(/https?:\/\/\S+/g) ?? [])
          .map((text) => new URL(text))
          .find((url) => url.pathname.endsWith('/set-password'))
          ?.searchParams.get('token') ?? undefined;
      return resetToken !== undefined;
    },
    { timeoutMs: 90_000, onTimeout: () => `seeding: no set-password mail to ${email} within 90s` },
  );
  const account = stack.urls.account;
  const confirmed = await post(`${account}/v1/auth/password-reset/confirm`, {
    token: resetToken,
    password: PASSWORD,
  });
  if (confirmed.status !== 204) throw new Error(`seeding: setting the password answered ${confirmed.status}`);
  const signedIn = await post(`${account}/v1/auth/token`, { email, password: PASSWORD });
  const { accessToken } = /** @type {{ accessToken: string }} */ (await signedIn.json());
  if (!accessToken) throw new Error(`seeding: sign-in answered ${signedIn.status}`);

  await waitFor(
    async () => {
      const answer = await fetch(`${stack.urls.license}/v1/license-items`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      return answer.status === 200 && /** @type {unknown[]} */ (await answer.json()).length > 0;
    },
    {
      timeoutMs: 90_000,
      onTimeout: () => 'seeding: the purchase did not reach the licence service within 90s',
    },
  );
  log(`seeded ${email}: a store purchase assigned to a verified account, signed in`);
  return { token: accessToken, email };
}

/**
 * A sales manager made as an operator makes one (`account:create-staff`, as built, against this run's
 * account database), the printed set-password link used, signed in. Returns the access token.
 * @param {Stack} stack
 * @param {import('./infra.mjs').Infra} infra
 * @param {(message: string) => void} log
 */
async function seedStaff(stack, infra, log) {
  const account = services.find((service) => service.name === 'account');
  if (!account) throw new Error('services.mjs lists no account service');
  const manager = await createStaffMember({
    accountUrl: stack.urls.account,
    databaseUrl: withDatabase(infra.adminUrl, `fuzz_${account.database}`),
    portalUrl: stack.urls.portal ?? 'http://localhost:3100',
    role: 'sales-manager',
    email: `fuzz.manager.${randomUUID().slice(0, 8)}@example.com`,
    password: PASSWORD,
  });
  log(`seeded ${manager.email}: a sales manager, signed in`);
  return manager.accessToken();
}

/**
 * A reseller API key, issued as an operator issues one (`reseller:create-key`, as built, against this
 * run's reseller-intake database). Returns the key.
 * @param {import('./infra.mjs').Infra} infra
 * @param {(message: string) => void} log
 */
async function seedResellerKey(infra, log) {
  const reseller = services.find((service) => service.name === 'reseller-intake');
  if (!reseller) throw new Error('services.mjs lists no reseller-intake service');
  const { key, keyId } = await createResellerKey({
    databaseUrl: withDatabase(infra.adminUrl, `fuzz_${reseller.database}`),
    reseller: `Fuzz Reseller ${randomUUID().slice(0, 8)}`,
  });
  log(`seeded reseller API key ${keyId}`);
  return key;
}

/**
 * The portal is fuzzed as the seeded buyer's browser: signed in through the portal (its session
 * cookie) and sending the portal's own Origin, which unsafe requests need.
 * @param {string} portal
 * @param {string} email
 * @param {(message: string) => void} log
 * @returns {Promise<string[]>} the headers schemathesis sends
 */
async function portalSession(portal, email, log) {
  const signedIn = await fetch(`${portal}/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: portal },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  const cookie = signedIn.headers.get('set-cookie')?.split(';')[0];
  if (signedIn.status !== 200 || !cookie)
    throw new Error(`seeding: portal sign-in answered ${signedIn.status}`);
  log('signed in to the portal: fuzzing it with that session cookie and its own Origin');
  return [`Cookie: ${cookie}`, `Origin: ${portal}`];
}

/**
 * @param {string} url
 * @param {unknown} body
 */
const post = (url, body) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/**
 * Standard Webhooks signature headers, as the store sends them.
 * @param {string} secret
 * @param {string} body
 */
function signWebhook(secret, body) {
  const id = `msg_${randomUUID()}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${signature}`,
  };
}

/**
 * @param {string} name
 * @param {string} url
 * @param {string[]} headers  sent with every request (the access token; the portal's cookie and Origin)
 * @param {string} webhookSecret  lets the hooks sign store webhooks (fuzz_hooks.py)
 * @param {string} dir  the run's folder: schemathesis keeps its cache there, not in the repository
 * @param {(message: string) => void} log
 * @returns {Promise<{ passed: number, failed: number, line: string }>}
 */
async function fuzzService(name, url, headers, webhookSecret, dir, log) {
  const excluded = EXCLUDED_CHECKS[name] ?? {};
  for (const [check, reason] of Object.entries(excluded)) log(`${name}: not running ${check}: ${reason}`);
  const skipped = EXCLUDED_OPERATIONS[name] ?? {};
  for (const [operation, reason] of Object.entries(skipped))
    log(`${name}: not fuzzing ${operation}: ${reason}`);
  const args = [
    ...['--config-file', join(repoRoot, 'tools', 'stack', 'schemathesis.toml')],
    '--no-color',
    'run',
    `${url}/docs-json`,
    ...['--checks', 'all'],
    ...(Object.keys(excluded).length > 0 ? ['--exclude-checks', Object.keys(excluded).join(',')] : []),
    ...Object.keys(skipped).flatMap((operation) => ['--exclude-operation-id', operation]),
    ...['--phases', PHASES],
    ...['--max-examples', String(MAX_EXAMPLES)],
    ...['--max-time', String(MAX_SECONDS)],
    ...headers.flatMap((header) => ['--header', header]),
    ...['--workers', '2'],
  ];
  log(`${name}: schemathesis ${args.join(' ').replace(/(Bearer |portal_session=)[^\s]+/g, '$1<secret>')}`);
  const started = Date.now();
  const { code, output } = await runCapturing(SCHEMATHESIS, args, dir, {
    SCHEMATHESIS_HOOKS: 'fuzz_hooks',
    FUZZ_STORE_WEBHOOK_SECRET: webhookSecret,
    PYTHONPATH: join(repoRoot, 'tools', 'stack'),
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  // The closing line reads like `== 3 failures, 1 error, 1 warning in 45.02s ==` or `== 3 passed ... ==`.
  const closing = output.trimEnd().split('\n').at(-1) ?? '';
  const count = (what) => Number(new RegExp(`(\\d+) ${what}`).exec(closing)?.[1] ?? 0);
  let failed = count('failures?') + count('errors?');
  if (failed === 0 && code !== 0) failed = 1; // it failed for a reason its summary does not count
  const kinds = [...output.matchAll(/^\s*❌ (ST\d+ [^:]+): (\d+)$/gmu)].map(
    (match) => `${match[1]} ×${match[2]}`,
  );
  const line = `fuzz ${name}: ${failed} failed (${seconds}s, exit ${code})${kinds.length ? `: ${kinds.join('; ')}` : ''}`;
  return { passed: failed === 0 ? 1 : 0, failed, line: failed > 0 ? paint('red', line) : line };
}

/**
 * Runs a command, its output shown as it comes and kept for reading.
 * @param {string} command
 * @param {string[]} args
 * @param {string} cwd
 * @param {Record<string, string>} env
 * @returns {Promise<{ code: number, output: string }>}
 */
function runCapturing(command, args, cwd, env) {
  return new Promise((done) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk) => {
        output += chunk;
        process.stdout.write(chunk);
      });
    }
    child.on('error', (error) => done({ code: 1, output: `${output}\n${error.message}` }));
    child.on('close', (code) => done({ code: code ?? 1, output }));
  });
}
