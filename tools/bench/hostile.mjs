#!/usr/bin/env node
// CPU cost of hostile requests against a good one, per service.
//
//   npm run bench:hostile [-- --requests 200 --concurrency 4 --services store-webhook,account]
//
// With TEST_PG_ADMIN_URL, KAFKA_BROKERS and SMTP_URL set (as `TEST_KEEP_INFRA=1 npm test` prints
// them) it uses that infrastructure instead of starting its own.
//
// Starts its own Postgres, Kafka and MailDev on bench ports (throwaway data), builds and starts
// store-webhook and account, then for each service sends `--requests` requests of each class of
// the hostile-input corpus (libs/testing/src/hostile.ts, the same the e2e suites run; the store
// webhook's bodies are signed so they reach the parser) and of the endpoint's good request, each
// over its own connection as the corpus sends them. The CPU a class costs is the service
// process's user+system time from /proc/<pid>/stat across its requests, less the process's idle
// rate over the same time, divided by the number of requests. Goal: no class above 3x good.
import { createRequire } from 'node:module';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer } from 'node:net';
import { build, repoRoot } from '../stack/bootstrap.mjs';
import { ensureTopics } from '../stack/infra.mjs';
import { ensureDatabase, withDatabase } from '../infra/postgres.mjs';
import { cpuByComponent, fmt, newWebhookSecret, startBenchInfra, startService } from './lib.mjs';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '4' },
    services: { type: 'string', default: 'store-webhook,account' },
  },
});
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);
const wanted = values.services.split(',');

// The corpus is TypeScript in libs/testing (not part of the build); it imports only node:net and pg.
const require = createRequire(import.meta.url);
require('@swc-node/register');
const { HOSTILE_CASES, sendRaw } = require(`${repoRoot}/libs/testing/src/hostile.ts`);
const { signStoreWebhook, storeOrder } = require(`${repoRoot}/libs/testing/src/webhooks.ts`);

async function benchStoreWebhook() {
  const secret = newWebhookSecret();
  const service = await startService('store-webhook', await freePort(), {
    DATABASE_URL: await infra.database('bench_hostile_store'),
    KAFKA_BROKERS: infra.brokers,
    STORE_WEBHOOK_SECRET: secret,
  });
  running.push(service);
  const target = {
    path: '/v1/webhooks/store',
    valid: () => storeOrder(`BENCH-${randomUUID()}`),
    field: 'data',
    textField: 'data.customer.name',
    headers: (body) => signStoreWebhook(secret, body),
  };
  const good = () => {
    const body = Buffer.from(JSON.stringify(target.valid()));
    return rawPost(target.path, { ...target.headers(body) }, body);
  };
  return {
    service: 'store-webhook',
    endpoint: 'POST /v1/webhooks/store (signed order)',
    ...(await measure(service, target, good, 202)),
  };
}

async function benchAccount() {
  const { privateKey } = generateKeyPairSync('ed25519');
  const service = await startService('account', await freePort(), {
    DATABASE_URL: await infra.database('bench_hostile_account'),
    KAFKA_BROKERS: infra.brokers,
    SMTP_URL: infra.smtpUrl,
    ACCESS_TOKEN_SIGNING_KEY: Buffer.from(privateKey.export({ format: 'pem', type: 'pkcs8' })).toString(
      'base64',
    ),
    PURCHASES_CONSUMER_GROUP: `bench-hostile-${randomUUID()}`,
    TRUST_PROXY: 'true',
  });
  running.push(service);
  // The good request: a reset for an address without an account (202, no mail; no Argon2 either).
  const target = {
    path: '/v1/auth/password-reset',
    valid: () => ({ email: `bench.${randomUUID()}@example.com` }),
    field: 'email',
    textField: 'email',
    headers: () => ({ 'x-forwarded-for': `198.51.${rnd()}.${rnd()}` }),
  };
  const good = () => {
    const body = Buffer.from(JSON.stringify(target.valid()));
    return rawPost(target.path, { 'content-type': 'application/json', ...target.headers() }, body);
  };
  return {
    service: 'account',
    endpoint: 'POST /v1/auth/password-reset',
    ...(await measure(service, target, good, 202)),
  };
}

/** Infrastructure that is already running (e.g. `TEST_KEEP_INFRA=1 npm test`'s), from its variables. */
function infraFromEnv() {
  const { TEST_PG_ADMIN_URL: adminUrl, KAFKA_BROKERS: brokers, SMTP_URL: smtpUrl } = process.env;
  return {
    brokers,
    smtpUrl,
    async database(name) {
      await ensureDatabase(adminUrl, name);
      return withDatabase(adminUrl, name);
    },
    topics: (topics) => ensureTopics(brokers, topics, 3),
    stop: async () => undefined,
  };
}

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const rnd = () => 1 + Math.floor(Math.random() * 254);

function rawPost(path, headers, body) {
  const lines = [`POST ${path} HTTP/1.1`, 'host: 127.0.0.1', 'connection: close'];
  for (const [name, value] of Object.entries({ ...headers, 'content-length': String(body.length) })) {
    lines.push(`${name}: ${value}`);
  }
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

/** Sends `count` requests made by `make`, `concurrency` at a time; returns the statuses seen. */
async function send(url, make, count) {
  const statuses = new Map();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        const answer = await sendRaw(url, make()).catch(() => ({ status: 0 }));
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      }
    }),
  );
  return statuses;
}

async function serviceCpuMs(pid) {
  return (await cpuByComponent(pid)).service;
}

/** CPU ms per request of `make`, less the process's idle rate over the same wall time. */
async function cpuPerRequest(service, make, idleMsPerMs) {
  const start = performance.now();
  const cpuBefore = await serviceCpuMs(service.pid);
  const statuses = await send(service.url, make, requests);
  const wall = performance.now() - start;
  const cpu = (await serviceCpuMs(service.pid)) - cpuBefore - idleMsPerMs * wall;
  return { ms: cpu / requests, statuses };
}

async function measure(service, target, good, goodStatus) {
  // Warm-up: the JIT and the connection pool see every class before anything counts.
  await send(service.url, good, 200);
  for (const hostile of HOSTILE_CASES) {
    await send(service.url, () => hostile.request(target, target.path), 10);
  }
  // Idle rate, once the forwarder has published the warm-up's events and any consumer caught up
  // with what is already on the broker (at most 60 s).
  let idleMsPerMs = Infinity;
  for (let i = 0; i < 20 && idleMsPerMs > 0.05; i++) {
    const idleStart = await serviceCpuMs(service.pid);
    await sleep(3000);
    idleMsPerMs = ((await serviceCpuMs(service.pid)) - idleStart) / 3000;
  }

  const rows = [];
  const goodBefore = await cpuPerRequest(service, good, idleMsPerMs);
  for (const hostile of HOSTILE_CASES) {
    const { ms, statuses } = await cpuPerRequest(
      service,
      () => hostile.request(target, target.path),
      idleMsPerMs,
    );
    rows.push({ name: hostile.name, expected: hostile.status[0], ms, statuses });
  }
  const goodAfter = await cpuPerRequest(service, good, idleMsPerMs);
  const goodMs = (goodBefore.ms + goodAfter.ms) / 2;
  const wrong = [...goodBefore.statuses.keys(), ...goodAfter.statuses.keys()].filter((s) => s !== goodStatus);
  if (wrong.length > 0) console.warn(`good requests answered ${wrong.join(', ')} as well as ${goodStatus}`);
  return { goodMs, goodSpread: [goodBefore.ms, goodAfter.ms], idleMsPerMs, rows };
}

function printTable(results) {
  for (const { service, endpoint, goodMs, goodSpread, idleMsPerMs, rows } of results) {
    console.log(`\n${service}: ${endpoint}; ${requests} requests per class, ${concurrency} at a time`);
    console.log(
      `good request: ${fmt(goodMs, 3)} ms CPU (before ${fmt(goodSpread[0], 3)}, after ${fmt(goodSpread[1], 3)}); ` +
        `idle ${fmt(idleMsPerMs * 1000, 1)} ms CPU/s subtracted`,
    );
    console.log('| class | status | CPU ms/request | × good |');
    console.log('| --- | --- | ---: | ---: |');
    let worst = 0;
    for (const row of rows) {
      const statuses = [...row.statuses.entries()]
        .map(([s, n]) => (n === requests ? `${s}` : `${s}×${n}`))
        .join(' ');
      const ratio = row.ms / goodMs;
      worst = Math.max(worst, ratio);
      const flag = row.statuses.get(row.expected) === requests ? '' : ` (expected ${row.expected})`;
      console.log(`| ${row.name} | ${statuses}${flag} | ${fmt(row.ms, 3)} | ${fmt(ratio, 2)} |`);
    }
    console.log(`worst class: ${fmt(worst, 2)}x a good request (goal: at most 3x)`);
  }
}

if (process.env.BENCH_SKIP_BUILD !== '1') await build();
const infra = process.env.TEST_PG_ADMIN_URL ? infraFromEnv() : await startBenchInfra();
const running = [];
try {
  await infra.topics(['purchases.v1', 'purchases.v1.dlq', 'accounts.v1', 'accounts.v1.dlq']);
  const results = [];
  if (wanted.includes('store-webhook')) results.push(await benchStoreWebhook());
  if (wanted.includes('account')) results.push(await benchAccount());
  printTable(results);
} finally {
  for (const service of running) await service.stop();
  await infra.stop();
}
