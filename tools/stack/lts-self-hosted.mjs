#!/usr/bin/env node
// `npm run lts:self-hosted`: the customer's own License Tracking Server (LTS_MODE=self-hosted), on
// its own: no Postgres, no Kafka. Installs and builds when needed, then runs the compiled server
// until Ctrl-C / SIGTERM and prints where it listens and its instance id.
//
//   npm run lts:self-hosted                     data in .data/lts, port 3106
//   PORT=3206 LTS_DATA_DIR=/var/lib/lts npm run lts:self-hosted
//   npm run lts:self-hosted -- --skip-build     use what is already in dist/out-tsc
//
// Licence files are verified against LTS_VENDOR_KEYS_FILE (default: the shipped
// apps/tracking/vendor-keys.jwks.json). In a dev checkout whose local stack has a licence signing
// key (.data/secrets.env, made by `npm start`) and no LTS_VENDOR_KEYS_FILE set, that key's public
// JWKS is written to .data/lts-vendor-keys.dev.jwks.json (with the shipped keys) and used instead,
// so files downloaded from the local portal load here.
import { spawn } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build, ensureInstalled, logger, paint, repoRoot } from './bootstrap.mjs';

const { values: flags } = parseArgs({ options: { 'skip-build': { type: 'boolean' } } });
const log = logger('lts');
const SHIPPED_KEYS = join(repoRoot, 'apps', 'tracking', 'vendor-keys.jwks.json');
const MAIN = 'dist/out-tsc/apps/tracking/src/main.js';

await ensureInstalled();
if (!flags['skip-build'] && !(await build())) process.exit(1);
if (!existsSync(join(repoRoot, MAIN))) {
  console.error(paint(['red', 'bold'], `${MAIN} does not exist: run without --skip-build`));
  process.exit(1);
}
const { readEnvFile } = await import('./env.mjs');

/** RFC 7638 thumbprint of an Ed25519 key, as the license service names its key when no kid is set. */
function thumbprint(x) {
  return createHash('sha256')
    .update(`{"crv":"Ed25519","kty":"OKP","x":${JSON.stringify(x)}}`)
    .digest('base64url');
}

/**
 * The local stack's licence signing key as a vendor key (public half only), or undefined when the
 * checkout has none. The kid is the license service's: LICENSE_SIGNING_KEY_ID, else the thumbprint.
 */
function localSigningJwk() {
  const local = { ...readEnvFile(join(repoRoot, '.data', 'secrets.env')), ...process.env };
  if (!local.LICENSE_SIGNING_KEY) return undefined;
  const text = local.LICENSE_SIGNING_KEY.trim().replace(/\\n/g, '\n');
  const pem = text.startsWith('-----BEGIN') ? text : Buffer.from(text, 'base64').toString('utf8');
  const { x } = createPublicKey(pem).export({ format: 'jwk' });
  const kid = local.LICENSE_SIGNING_KEY_ID?.trim() || thumbprint(x);
  return { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' };
}

/** @type {Record<string, string | undefined>} */
const env = {
  NODE_ENV: 'production',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'info',
  ...process.env,
  LTS_MODE: 'self-hosted',
  LTS_DATA_DIR: resolve(repoRoot, process.env.LTS_DATA_DIR || '.data/lts'),
};
if (!process.env.LTS_VENDOR_KEYS_FILE) {
  let jwk;
  try {
    jwk = localSigningJwk();
  } catch (error) {
    log(`Ignoring the local LICENSE_SIGNING_KEY: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (jwk) {
    const shipped = JSON.parse(readFileSync(SHIPPED_KEYS, 'utf8')).keys ?? [];
    const file = join(repoRoot, '.data', 'lts-vendor-keys.dev.jwks.json');
    mkdirSync(join(repoRoot, '.data'), { recursive: true });
    const keys = [...shipped.filter((/** @type {{ kid: string }} */ key) => key.kid !== jwk.kid), jwk];
    writeFileSync(file, `${JSON.stringify({ keys }, null, 2)}\n`);
    env.LTS_VENDOR_KEYS_FILE = file;
    log(
      `Dev checkout: trusting the local stack's licence signing key (kid ${jwk.kid}) besides the shipped ` +
        `vendor keys; wrote ${file}. Set LTS_VENDOR_KEYS_FILE to choose the keys yourself.`,
    );
  } else {
    log(
      `Verifying licence files against the shipped ${SHIPPED_KEYS} (no LTS_VENDOR_KEYS_FILE set, and no ` +
        'local licence signing key: `npm start` makes one in .data/secrets.env).',
    );
  }
}

// `npm start` runs the vendor-hosted LTS on 3106 too: say so rather than let the server fail to bind.
const { freePort } = await import('../infra/process.mjs');
const port = Number(env.PORT || 3106);
if ((await freePort(port)) === undefined) {
  log(
    paint(
      'red',
      `Port ${port} is taken (by the vendor-hosted LTS of \`npm start\`?). Choose another: ` +
        `PORT=${port + 1} npm run lts:self-hosted`,
    ),
  );
  process.exit(1);
}

// A small young generation (V8 semi-spaces of 1 MB instead of up to 16 MB): measured with
// `npm run bench:tracking -- --only self-hosted`, RSS at rest 101.5 -> 91.7 MB and with 10,000 leases
// 142.3 -> 110.0 MB, cold start unchanged (tools/bench/README.md, tracking).
const child = spawn(
  process.execPath,
  ['--max-semi-space-size=1', '-r', './tools/runtime/register-aliases.cjs', MAIN],
  {
    cwd: repoRoot,
    env,
    stdio: 'inherit',
  },
);
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));

const host = env.HOST === '0.0.0.0' || env.HOST === '::' ? '127.0.0.1' : env.HOST;
const url = `http://${host?.includes(':') ? `[${host}]` : host}:${port}`;
const started = Date.now();
while (child.exitCode === null && Date.now() - started < 60_000) {
  try {
    const ready = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
    if (ready.status === 200) {
      const instance = await (await fetch(`${url}/v1/lts/instance`)).json();
      if (instance.mode !== 'self-hosted') throw new Error(`${url} is not this self-hosted LTS`);
      log(paint('bold', `Self-hosted License Tracking Server listening on ${url} (docs: ${url}/docs)`));
      log(paint('bold', `Instance id: ${instance.ltsInstanceId}`) + '  (activate licences for this id)');
      log(`Data: ${env.LTS_DATA_DIR}   Vendor keys: ${instance.vendorKeyIds.join(', ')}`);
      log(
        `Load a licence file: curl -H 'content-type: application/json' --data @license.json ${url}/v1/lts/license-files`,
      );
      log('Press Ctrl-C to stop.');
      break;
    }
  } catch {
    // not listening yet
  }
  await new Promise((done) => setTimeout(done, 200));
}
