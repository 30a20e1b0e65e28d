#!/usr/bin/env node
// Idle cost: the CPU each service uses at rest, and how fast the first event after a quiet period
// goes through.
//
//   npm run bench:idle [-- --seconds 60 --rounds 3 --settle 20]
//
// Starts its own Postgres, Kafka and MailDev on bench ports (throwaway data), then store-webhook,
// account and license (one instance each), sends one purchase through the whole path as a warm-up
// and lets everything settle for --settle seconds. Then, --rounds times (settling again in between):
//  1. nothing is sent for --seconds; the CPU time (utime + stime from /proc/<pid>/stat) of each
//     service, of Postgres (all its processes) and of Kafka is read before and after;
//  2. one signed store order by a new buyer, timed at each hop: the webhook's 202, the purchase on
//     `purchases.v1` (store-webhook's forwarder), `purchase.assigned.v1` on `accounts.v1` (account's
//     consumer and forwarder), and the commit of `license.item-recorded` (license's consumer).
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { build } from '../stack/bootstrap.mjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cpuOfProcessTrees,
  fmt,
  newWebhookSecret,
  deliverStoreWebhook,
  startBenchInfra,
  startService,
} from './lib.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    rounds: { type: 'string', default: '3' },
    settle: { type: 'string', default: '20' },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const ed25519 = () =>
  Buffer.from(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' })).toString(
    'base64',
  );

if (!process.env.BENCH_SKIP_BUILD) await build();
const infra = await startBenchInfra();
const services = [];
let consumer;
let db;
try {
  await infra.topics(['purchases.v1', 'accounts.v1', 'licenses.v1'].flatMap((t) => [t, `${t}.dlq`]));
  const secret = newWebhookSecret();
  const licenseDb = await infra.database('license');
  const nodeOptions = process.env.BENCH_NODE_OPTIONS ?? '';
  // Flags NODE_OPTIONS refuses, e.g. BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const store = await startService(
    'store-webhook',
    3191,
    {
      DATABASE_URL: await infra.database('store_webhook'),
      KAFKA_BROKERS: infra.brokers,
      STORE_WEBHOOK_SECRET: secret,
      NODE_OPTIONS: nodeOptions,
    },
    nodeArgs,
  );
  services.push(store);
  const account = await startService(
    'account',
    3194,
    {
      DATABASE_URL: await infra.database('account'),
      KAFKA_BROKERS: infra.brokers,
      SMTP_URL: infra.smtpUrl,
      ACCESS_TOKEN_SIGNING_KEY: ed25519(),
      NODE_OPTIONS: nodeOptions,
    },
    nodeArgs,
  );
  services.push(account);
  const license = await startService(
    'license',
    3195,
    {
      DATABASE_URL: licenseDb,
      KAFKA_BROKERS: infra.brokers,
      LICENSE_SIGNING_KEY: ed25519(),
      ACCESS_TOKEN_JWKS_URL: `${account.url}/.well-known/jwks.json`,
      NODE_OPTIONS: nodeOptions,
    },
    nodeArgs,
  );
  services.push(license);
  db = new pg.Pool({ connectionString: licenseDb, max: 1 });

  // When each purchase appeared on Kafka, as seen by a consumer here. Its fetches wait up to 10 s
  // for data: the broker answers as soon as a record arrives, so the wait adds no delay.
  const seenAt = { purchase: new Map(), assigned: new Map() };
  const kafka = new kafkajs.Kafka({
    clientId: 'bench',
    brokers: [infra.brokers],
    logLevel: kafkajs.logLevel.NOTHING,
  });
  consumer = kafka.consumer({ groupId: `bench-${randomUUID()}`, maxWaitTimeInMs: 10_000 });
  await consumer.connect();
  await consumer.subscribe({ topics: ['purchases.v1', 'accounts.v1'], fromBeginning: false });
  const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
  await consumer.run({
    eachMessage: async ({ message }) => {
      const at = performance.now();
      const event = JSON.parse(message.value.toString());
      if (event.type === 'purchase.recorded.v1') seenAt.purchase.set(event.data.purchaseId, at);
      if (event.type === 'purchase.assigned.v1') seenAt.assigned.set(event.data.purchaseId, at);
    },
  });
  await joined;

  const run = randomUUID().slice(0, 8);
  let orders = 0;
  /** One signed order by a new buyer, timed hop by hop (ms from the moment it was sent). */
  async function onePurchase() {
    const i = orders++;
    const timestamp = Math.floor(Date.now() / 1000);
    const id = `msg_idle_${run}_${i}`;
    const body = JSON.stringify({
      type: 'order.completed',
      data: {
        orderId: `IDLE-${run}-${i}`,
        completedAt: new Date().toISOString(),
        currency: 'USD',
        customer: { email: `idle-${run}-${i}@example.com`, name: 'Idle Buyer', company: null },
        items: [{ sku: 'BARCODE-JS-DEVICE-1Y', quantity: 1, unitPrice: '1249.00' }],
        total: '1249.00',
      },
    });
    const sentWall = Date.now();
    const sent = performance.now();
    const answer = await deliverStoreWebhook(store.url, secret, body, { id, timestamp });
    const accepted = performance.now();
    if (answer.status !== 202)
      throw new Error(`store webhook answered ${answer.status}: ${await answer.text()}`);
    const { purchaseId } = await answer.json();
    // The read-model row commits with license.item-recorded; its recorded_at is that
    // transaction's start, on the same clock as Date.now() here.
    let recordedWall;
    for (let tries = 0; tries < 3000 && recordedWall === undefined; tries++) {
      const { rows } = await db.query(
        `SELECT (extract(epoch FROM recorded_at) * 1000)::float8 AS at FROM es_events
          WHERE type = 'license.item-recorded' AND data->>'purchaseId' = $1`,
        [purchaseId],
      );
      recordedWall = rows[0]?.at;
      if (recordedWall === undefined) await sleep(10);
    }
    for (let tries = 0; tries < 500 && !seenAt.assigned.has(purchaseId); tries++) await sleep(10);
    const since = (map) => (map.has(purchaseId) ? map.get(purchaseId) - sent : NaN);
    return {
      accepted: accepted - sent,
      onPurchases: since(seenAt.purchase),
      onAccounts: since(seenAt.assigned),
      itemRecorded: recordedWall === undefined ? NaN : recordedWall - sentWall,
    };
  }

  process.stdout.write(
    `\nWarm-up: one purchase through the whole path, then ${values.settle} s to settle ... `,
  );
  await onePurchase();
  await sleep(Number(values.settle) * 1000);
  console.log('done');

  const pids = { 'store-webhook': store.pid, account: account.pid, license: license.pid };
  const results = [];
  for (let round = 1; round <= rounds; round++) {
    process.stdout.write(`Round ${round}/${rounds}: ${seconds} s at rest ... `);
    const before = await cpuSnapshot(pids);
    const startedAt = performance.now();
    await sleep(seconds * 1000);
    const after = await cpuSnapshot(pids);
    const elapsedMs = performance.now() - startedAt;
    const cpu = Object.fromEntries(
      Object.keys(after).map((name) => [name, (100 * (after[name] - before[name])) / elapsedMs]),
    );
    const latency = await onePurchase();
    results.push({ cpu, latency });
    console.log(
      `CPU % of a core: ${Object.entries(cpu)
        .map(([name, percent]) => `${name} ${fmt(percent, 2)}`)
        .join(
          ', ',
        )}; first purchase: 202 ${fmt(latency.accepted, 0)} ms, purchases.v1 ${fmt(latency.onPurchases, 0)} ms, ` +
        `accounts.v1 ${fmt(latency.onAccounts, 0)} ms, license item ${fmt(latency.itemRecorded, 0)} ms`,
    );
    // The work a purchase leaves behind (mail, offset commits, the garbage collector, the JIT)
    // belongs to the purchase, not to the quiet period.
    if (round < rounds) await sleep(Number(values.settle) * 1000);
  }

  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
  console.log(
    `\nMachine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, load average ${loadavg()
      .map((load) => load.toFixed(1))
      .join(' ')}; ${rounds} rounds of ${seconds} s at rest, one purchase after each.`,
  );
  console.log(
    '\n| at rest, % of one core: median (min–max) | store-webhook | account | license | postgres | kafka |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  const columns = ['store-webhook', 'account', 'license', 'postgres', 'kafka'];
  const cells = columns.map((name) => {
    const all = results.map((result) => result.cpu[name]);
    return `${fmt(median(all), 2)} (${fmt(Math.min(...all), 2)}–${fmt(Math.max(...all), 2)})`;
  });
  console.log(`| CPU | ${cells.join(' | ')} |`);
  console.log(
    '\n| first purchase after the quiet period, ms from sending | 202 | on purchases.v1 | purchase.assigned.v1 on accounts.v1 | license item recorded |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: |');
  const hops = ['accepted', 'onPurchases', 'onAccounts', 'itemRecorded'];
  const row = (label, pick) =>
    console.log(`| ${label} | ${hops.map((hop) => fmt(pick(hop), 0)).join(' | ')} |`);
  results.forEach(({ latency }, index) => row(`round ${index + 1}`, (hop) => latency[hop]));
  row('median', (hop) => median(results.map(({ latency }) => latency[hop])));
} finally {
  await consumer?.disconnect().catch(() => undefined);
  await db?.end().catch(() => undefined);
  await Promise.all(services.map((service) => service.stop()));
  await infra.stop();
}

/** CPU ms so far of each service process, and of this run's Postgres (every backend) and Kafka. */
async function cpuSnapshot(pids) {
  const postmaster = Number(
    readFileSync(join(infra.dataDir, 'postgres/pgdata/postmaster.pid'), 'utf8').split('\n')[0],
  );
  const broker = JSON.parse(readFileSync(join(infra.dataDir, 'kafka/broker.pid'), 'utf8')).pid;
  const snapshot = {};
  for (const [name, pid] of Object.entries(pids)) snapshot[name] = await cpuOfProcessTrees([pid]);
  snapshot.postgres = await cpuOfProcessTrees([postmaster]);
  snapshot.kafka = await cpuOfProcessTrees([broker]);
  return snapshot;
}
