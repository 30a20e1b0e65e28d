#!/usr/bin/env node
// License Tracking Server throughput (hosted, against a bare Fastify + Postgres ceiling), the
// hosted sweeper, and the self-hosted server's cold start and memory.
//
//   npm run bench:tracking                              # everything, in one run (about 8 minutes)
//   npm run bench:tracking -- --quick                   # a short run: fewer rates, 5 s each
//   node tools/bench/tracking.mjs --url http://127.0.0.1:3106 --lease-ids ids.txt \
//        --license-key OTL1-... [--product p] --database-url postgres://...   # a running hosted LTS
//
// In an open model (lib.mjs openLoad: request i is sent at start + i / rate whatever happened to
// the others, and its latency counts from that scheduled moment, so a slow server cannot lower the
// load it is given: no coordinated omission), for each arrival rate:
//  1. Ceiling: a bare Fastify handler in its own process, serving the LTS heartbeat route with one
//     `UPDATE bench_leases SET expires_at = ... WHERE id = $1 RETURNING expires_at` in autocommit
//     (the statement is its own transaction: one round trip, one COMMIT) over a pool of 32, on
//     --lease-rows stored leases, in the LTS's own Postgres. Heartbeats/s with p99 < 50 ms.
//  2. Hosted LTS heartbeats: `POST /v1/lts/leases/{id}/heartbeat` over the --lease-rows seeded
//     leases, each id at most once per rate (as a million seats beating every 3 minutes would).
//  3. Hosted LTS acquisitions: `POST /v1/lts/leases` for new clientIds, round robin over the
//     --licenses seeded licences (or one: --acquire-licenses 1).
//  4. Hosted sweeper: --sweep-leases leases (spread over every licence) made to expire at once;
//     the time until the table shows them all ended with their lease.expired events committed, and
//     until those events are on usage.v1 in Kafka.
//  5. Self-hosted LTS: cold start (spawn to /health/ready), RSS at rest and with --self-hosted-leases
//     leases held.
// Without --url it builds, starts its own Postgres and Kafka (bench ports, throwaway data) and the
// hosted LTS from dist/, feeds the licences onto licenses.v1 as CloudEvents (the service's own
// consumer stores them) and bulk-INSERTs the active leases into its leases table.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, chmodSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { ensureDatabase, usePostgres, withDatabase } from '../infra/postgres.mjs';
import { Kafka, logLevel } from 'kafkajs';
import { build, repoRoot } from '../stack/bootstrap.mjs';
import { cpuOfProcessTrees, fmt, openLoad, percentile, startBenchInfra, startService } from './lib.mjs';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '500,1000,1500,2000,3000,4000,5600' },
    'ceiling-rates': { type: 'string' },
    'acquire-rates': { type: 'string', default: '100,200,300,500,1000' },
    seconds: { type: 'string', default: '10' },
    quick: { type: 'boolean', default: false },
    'lease-rows': { type: 'string', default: '100000' },
    licenses: { type: 'string', default: '1000' },
    'seats-per-license': { type: 'string', default: '1000' },
    'acquire-licenses': { type: 'string' },
    'sweep-leases': { type: 'string', default: '10000' },
    'self-hosted-leases': { type: 'string', default: '10000' },
    'self-hosted-starts': { type: 'string', default: '3' },
    only: { type: 'string' }, // hosted | self-hosted
    url: { type: 'string' },
    'lease-ids': { type: 'string' },
    'license-key': { type: 'string' },
    product: { type: 'string' },
    'database-url': { type: 'string' },
    'pool-size': { type: 'string', default: '32' },
    // internal: this file, run as the ceiling's server process
    'ceiling-server': { type: 'boolean', default: false },
    port: { type: 'string' },
  },
});
if (values.quick) {
  values.rates = values.rates === '500,1000,1500,2000,3000,4000,5600' ? '500,1000,2000' : values.rates;
  values['acquire-rates'] =
    values['acquire-rates'] === '100,200,300,500,1000' ? '200,500' : values['acquire-rates'];
  values.seconds = values.seconds === '10' ? '5' : values.seconds;
  values['self-hosted-starts'] = '1';
}
const PRODUCT = 'barcode-reader-js';
const TTL_SECONDS = 3600;
const HOSTED_PORT = 3196;
const SELF_HOSTED_PORT = 3198;
/** The compiled libs/licensing (keys and files made as the license service makes them). */
const licensing = () =>
  createRequire(import.meta.url)(join(repoRoot, 'dist/out-tsc/libs/licensing/src/index.js'));
const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

if (values['ceiling-server']) {
  await serveCeiling(Number(values.port), values['database-url'], Number(values['pool-size']));
} else {
  await main();
}

async function main() {
  const seconds = Number(values.seconds);
  const rates = values.rates.split(',').map(Number);
  const ceilingRates = (values['ceiling-rates'] ?? values.rates).split(',').map(Number);
  const acquireRates = values['acquire-rates'].split(',').map(Number);
  const leaseRows = Number(values['lease-rows']);
  const report = [];
  const facts = { seconds, leaseRows, started: new Date().toISOString(), loads: [] };
  const note = (what) => facts.loads.push({ what, load: load() });

  if (!values.url && !process.env.BENCH_SKIP_BUILD && !(await build())) process.exit(1);
  note('start');
  if (values.only !== 'self-hosted') {
    const infra = values.url ? undefined : await startBenchInfra();
    let lts;
    let ceiling;
    let postgres;
    const dataDir = mkdtempSync(join(tmpdir(), 'otl-bench-tracking-'));
    chmodSync(dataDir, 0o755); // the embedded Postgres runs as its own user when we are root
    try {
      lts = values.url ? runningLts() : await startHostedLts(infra, leaseRows);
      postgres = await usePostgres({
        databaseUrl: values['database-url'] ?? lts.databaseUrl,
        port: 56533,
        dataDir: join(dataDir, 'postgres'),
      });
      const pidFile = postgres.embedded
        ? join(dataDir, 'postgres/pgdata/postmaster.pid')
        : infra && join(infra.dataDir, 'postgres/pgdata/postmaster.pid');
      const postmaster =
        pidFile && existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : undefined;
      await ensureDatabase(postgres.adminUrl, 'bench_tracking_ceiling');
      const ceilingUrl = withDatabase(postgres.adminUrl, 'bench_tracking_ceiling');
      const ceilingIds = await seedCeilingLeases(ceilingUrl, leaseRows);
      ceiling = await startCeilingServer(3197, ceilingUrl, Number(values['pool-size']));

      const measure = async (label, url, pids, rateList, make, okStatus) => {
        // Warm-up (not measured): lets V8 optimise the hot paths and the pools fill.
        await openLoad({ url, rate: Math.min(500, rateList[0]), seconds: 3, make: make('warm') });
        await sleep(1000);
        for (const rate of rateList) {
          const loadBefore = load();
          process.stdout.write(`${label}: ${rate}/s for ${seconds} s (load ${loadBefore}) ... `);
          const before = await cpu(pids);
          const { results, elapsedMs } = await openLoad({ url, rate, seconds, make: make(`r${rate}`) });
          const after = await cpu(pids);
          const ok = results.filter((r) => r.status === okStatus);
          const latencies = results.map((r) => r.latencyMs);
          const statuses = {};
          for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          const row = {
            label,
            rate,
            sent: results.length,
            ok: ok.length,
            okPerSecond: ok.length / (elapsedMs / 1000),
            p50: percentile(latencies, 50),
            p99: percentile(latencies, 99),
            max: percentile(latencies, 100),
            statuses,
            load: loadBefore,
            cpuPerRequest: Object.fromEntries(
              Object.keys(after).map((key) => [key, (after[key] - before[key]) / results.length]),
            ),
          };
          report.push(row);
          console.log(
            `${row.ok}/${row.sent} ok (${fmt(row.okPerSecond, 0)}/s), p50 ${fmt(row.p50)} ms, p99 ${fmt(row.p99)} ms, max ${fmt(row.max)} ms` +
              (row.ok < row.sent ? `, statuses ${JSON.stringify(statuses)}` : ''),
          );
          await sleep(2000);
        }
      };

      await measure(
        'ceiling heartbeats',
        ceiling.url,
        { server: ceiling.pid, postgres: postmaster },
        ceilingRates,
        heartbeats(ceilingIds),
        200,
      );
      await measure(
        'LTS heartbeats',
        lts.url,
        { server: lts.pid, postgres: postmaster },
        rates,
        heartbeats(lts.leaseIds),
        200,
      );
      await measure(
        'LTS acquisitions',
        lts.url,
        { server: lts.pid, postgres: postmaster },
        acquireRates,
        acquisitions(lts.licenseKeys, lts.product),
        201,
      );
      if (lts.databaseUrl && lts.brokers) {
        facts.sweep = await measureSweep(lts, Number(values['sweep-leases']));
        facts.sweep.load = load();
      }
    } finally {
      await ceiling?.stop();
      await lts?.stop?.();
      await postgres?.stop();
      await infra?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    facts.lts = lts && { licenses: lts.licenseKeys.length, seeded: lts.seeded };
  }
  if (values.only !== 'hosted') {
    await sleep(3000); // the hosted stack's processes gone
    facts.selfHosted = await measureSelfHosted(
      Number(values['self-hosted-starts']),
      Number(values['self-hosted-leases']),
    );
  }
  note('end');
  printSummary(report, facts);
}

/** CPU ms so far of each process tree (undefined pids: not ours to count) and of this generator. */
async function cpu(pids) {
  const totals = {};
  for (const [name, pid] of Object.entries(pids)) {
    if (pid !== undefined) totals[name] = await cpuOfProcessTrees([pid]);
  }
  const { user, system } = process.cpuUsage();
  totals.generator = (user + system) / 1000;
  return totals;
}

/** Heartbeats over `ids`, in a shuffled order, each id once until they run out. */
function heartbeats(ids) {
  const order = [...ids];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  let offset = 0;
  return () => {
    const base = offset;
    return (i) => {
      offset = Math.max(offset, base + i + 1);
      return {
        path: `/v1/lts/leases/${order[(base + i) % order.length]}/heartbeat`,
        headers: {},
        body: '',
      };
    };
  };
}

/** New seats, a new clientId each, round robin over the licences of `licenseKeys`. */
function acquisitions(licenseKeys, product) {
  const run = randomUUID().slice(0, 8);
  return (phase) => (i) => ({
    path: '/v1/lts/leases',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      licenseKey: licenseKeys[i % licenseKeys.length],
      clientId: `bench-${run}-${phase}-${i}`,
      ...(product && { product }),
    }),
  });
}

/** A hosted LTS that is already running (--url), with lease ids one per line in --lease-ids. */
function runningLts() {
  if (!values['lease-ids'] || !values['license-key']) {
    throw new Error('--url needs --lease-ids (a file, one lease id per line) and --license-key');
  }
  const leaseIds = readFileSync(values['lease-ids'], 'utf8').split('\n').filter(Boolean);
  return {
    url: values.url,
    pid: Number(process.env.BENCH_LTS_PID) || undefined, // to count its CPU, when known
    leaseIds,
    licenseKeys: [values['license-key']],
    product: values.product,
    databaseUrl: values['database-url'],
  };
}

/**
 * The hosted LTS from dist/ on the bench infrastructure, with `--licenses` vendor-hosted licences
 * of `--seats-per-license` seats each fed onto licenses.v1 (generated + activated CloudEvents, so
 * the service's own consumer stores them) and `leaseRows` active leases spread over them, inserted
 * in bulk into its leases table (rows as its acquisitions write them; no usage events for them).
 */
async function startHostedLts(infra, leaseRows) {
  const { newLicenseKey, licenseKeyHash } = licensing();
  const licenses = Number(values.licenses);
  const seats = Number(values['seats-per-license']);
  if (leaseRows > licenses * seats) throw new Error('--lease-rows exceeds --licenses x --seats-per-license');
  await infra.topics(['licenses.v1', 'usage.v1'].flatMap((t) => [t, `${t}.dlq`]));
  const databaseUrl = await infra.database('tracking');
  const service = await startService('tracking', HOSTED_PORT, {
    LTS_MODE: 'vendor-hosted',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: values['pool-size'],
    KAFKA_BROKERS: infra.brokers,
    LTS_RATE_LIMIT_PER_MINUTE: '100000000',
    LTS_LEASE_TTL_SECONDS: String(TTL_SECONDS),
    LTS_SWEEP_SECONDS: '1',
    NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? '',
  });
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    process.stdout.write(`Feeding ${licenses} licences (${seats} seats each) onto licenses.v1 ... `);
    const kafka = new Kafka({
      brokers: infra.brokers.split(','),
      clientId: 'bench-tracking',
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    const keys = [];
    const event = (type, subject, data) =>
      JSON.stringify({
        specversion: '1.0',
        id: randomUUID(),
        source: '/bench-tracking',
        type,
        subject,
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        data,
      });
    const now = new Date().toISOString();
    for (let batch = 0; batch < licenses; batch += 200) {
      const messages = [];
      for (let i = batch; i < Math.min(licenses, batch + 200); i++) {
        const licenseId = randomUUID();
        const accountId = randomUUID();
        const key = newLicenseKey();
        keys.push(key);
        const item = {
          itemId: randomUUID(),
          sku: 'BARCODE-JS-DEVICE-1Y',
          product: PRODUCT,
          unit: 'device',
          quantity: seats,
          expiresAt: null,
        };
        messages.push(
          {
            key: licenseId,
            value: event('license.generated.v1', licenseId, {
              licenseId,
              accountId,
              licenseKeyHash: licenseKeyHash(key),
              items: [item],
              generatedAt: now,
            }),
          },
          {
            key: licenseId,
            value: event('license.activated.v1', licenseId, {
              licenseId,
              accountId,
              trackingMode: 'vendor-hosted',
              ltsInstanceId: null,
              entitlements: [{ product: PRODUCT, unit: 'device', seats, expiresAt: null }],
              activatedAt: now,
            }),
          },
        );
      }
      await producer.send({ topic: 'licenses.v1', messages });
    }
    await producer.disconnect();
    const fed = performance.now();
    for (;;) {
      const { rows } = await db.query(
        "SELECT count(*)::int AS n FROM tracked_licenses t JOIN license_products p USING (license_id) WHERE t.status = 'activated' AND t.license_key_hash IS NOT NULL",
      );
      if (rows[0].n === licenses) break;
      if (performance.now() - fed > 120_000)
        throw new Error(`only ${rows[0].n}/${licenses} licences stored after 120 s`);
      await sleep(250);
    }
    console.log(`stored by the consumer in ${fmt((performance.now() - fed) / 1000)} s`);
    process.stdout.write(`Inserting ${leaseRows} active leases in bulk into leases ... `);
    const perLicense = Math.ceil(leaseRows / licenses);
    await db.query(
      `INSERT INTO leases (lease_id, license_id, product, client_id, status, acquired_at, expires_at, term_ends_at)
       SELECT gen_random_uuid(), p.license_id, p.product, 'bench-seed-' || n, 'active', now(),
              now() + $2::int * interval '1 second', p.term_ends_at
       FROM (SELECT license_id, product, term_ends_at, row_number() OVER (ORDER BY license_id) AS k FROM license_products) p
       CROSS JOIN generate_series(1, $3::int) AS n
       WHERE (p.k - 1) * $3::int + n <= $1::int`,
      [leaseRows, TTL_SECONDS, perLicense],
    );
    await db.query('VACUUM ANALYZE leases');
    const { rows: ids } = await db.query("SELECT lease_id FROM leases WHERE status = 'active'");
    console.log(`${ids.length} active`);
    return {
      url: service.url,
      pid: service.pid,
      leaseIds: ids.map((row) => row.lease_id),
      licenseKeys: values['acquire-licenses'] ? keys.slice(0, Number(values['acquire-licenses'])) : keys,
      product: PRODUCT,
      databaseUrl,
      brokers: infra.brokers,
      seeded: { licenses, seats, leases: ids.length, perLicense },
      stop: service.stop,
    };
  } finally {
    await db.end();
  }
}

/**
 * The sweeper: `count` leases (the same number of each licence) moved past their expiresAt in one
 * UPDATE; then the time until every one is ended with its lease.expired event committed (the
 * sweeper writes both in one transaction; it runs every LTS_SWEEP_SECONDS = 1 s), and until the
 * events are on usage.v1.
 */
async function measureSweep(lts, count) {
  const db = new pg.Client({ connectionString: lts.databaseUrl });
  await db.connect();
  const kafka = new Kafka({
    brokers: lts.brokers.split(','),
    clientId: 'bench-tracking-sweep',
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `bench-tracking-sweep-${randomUUID().slice(0, 8)}` });
  try {
    const { rows: pairs } = await db.query(
      "SELECT count(DISTINCT license_id)::int AS n FROM leases WHERE client_id LIKE 'bench-seed-%'",
    );
    const perLicense = Math.ceil(count / pairs[0].n);
    const { rows } = await db.query(
      `SELECT lease_id FROM leases WHERE status = 'active' AND client_id = ANY($1::text[]) LIMIT $2`,
      [Array.from({ length: perLicense }, (_, i) => `bench-seed-${i + 1}`), count],
    );
    const ids = rows.map((row) => row.lease_id);
    let onKafka = 0;
    let lastOnKafka = 0;
    let since = Infinity;
    const joined = new Promise((done) => consumer.on(consumer.events.GROUP_JOIN, done));
    await consumer.connect();
    await consumer.subscribe({ topic: 'usage.v1', fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const data = JSON.parse(message.value.toString()).data;
        if (data.action === 'lease.expired' && Date.parse(data.at) >= since) {
          onKafka++;
          lastOnKafka = performance.now();
        }
      },
    });
    await joined;
    await sleep(3000); // the forwarder done with the acquisitions' events
    console.log(
      `\nSweeper: ${ids.length} leases of ${pairs[0].n} licences past their expiresAt at once (load ${load()})`,
    );
    const expiredAt = Date.now();
    const t0 = performance.now();
    since = expiredAt - 2000;
    await db.query(
      "UPDATE leases SET expires_at = now() - interval '1 second' WHERE lease_id = ANY($1::uuid[])",
      [ids],
    );
    let ended;
    for (;;) {
      const { rows: left } = await db.query(
        "SELECT count(*)::int AS n FROM leases WHERE lease_id = ANY($1::uuid[]) AND status = 'active'",
        [ids],
      );
      if (left[0].n === 0) {
        ended = performance.now() - t0;
        break;
      }
      if (performance.now() - t0 > 120_000) throw new Error(`${left[0].n} leases still active after 120 s`);
      await sleep(20);
    }
    const { rows: sweeps } = await db.query(
      `SELECT count(DISTINCT ended_at)::int AS transactions,
              (extract(epoch FROM min(ended_at)) * 1000)::float8 AS first
       FROM leases WHERE lease_id = ANY($1::uuid[])`,
      [ids],
    );
    const { rows: events } = await db.query(
      `SELECT count(*)::int AS n FROM es_events
       WHERE type = 'usage.recorded.v1' AND data->>'action' = 'lease.expired' AND recorded_at >= to_timestamp($1::float8 / 1000)`,
      [expiredAt - 1000],
    );
    while (onKafka < ids.length && performance.now() - t0 < 60_000) await sleep(50);
    const result = {
      leases: ids.length,
      licenses: pairs[0].n,
      endedMs: ended,
      // The sweep's clock (ended_at) is when it began; it is done when the poll saw no lease active
      // (20 ms polls), so its own duration is at most endedMs - sweepStartMs.
      sweepStartMs: sweeps[0].first - expiredAt,
      sweepMs: ended - (sweeps[0].first - expiredAt),
      sweepTransactions: sweeps[0].transactions,
      eventsCommitted: events[0].n,
      onKafka,
      onKafkaMs: onKafka ? lastOnKafka - t0 : NaN,
    };
    console.log(
      `  all ended in ${fmt(result.endedMs, 0)} ms from the UPDATE (the sweep started ${fmt(result.sweepStartMs, 0)} ms after it and ` +
        `took at most ${fmt(result.sweepMs, 0)} ms; ${result.sweepTransactions} sweep(s)); ` +
        `${result.eventsCommitted} lease.expired committed; ${onKafka} on usage.v1 after ${fmt(result.onKafkaMs, 0)} ms`,
    );
    return result;
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await db.end();
  }
}

/** VmRSS and VmHWM (peak) of a process, in MB. */
function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/**
 * The self-hosted LTS from dist/ (NODE_ENV=production, as a customer runs it): `starts` cold
 * starts on fresh data directories (spawn to /health/ready answering 200), RSS at rest 5 s after
 * ready, then with `leaseCount` leases of one loaded licence file held (acquired at 1,000/s).
 */
async function measureSelfHosted(starts, leaseCount) {
  const { newLicenseKey, signLicenseFile } = licensing();
  const dir = mkdtempSync(join(tmpdir(), 'otl-bench-lts-self-'));
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const kid = 'bench-vendor';
  const keysFile = join(dir, 'vendor-keys.jwks.json');
  writeFileSync(
    keysFile,
    JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' }] }),
  );
  const url = `http://127.0.0.1:${SELF_HOSTED_PORT}`;
  const runs = [];
  try {
    for (let n = 0; n < starts; n++) {
      const dataDir = join(dir, `data-${n}`);
      const started = performance.now();
      const child = spawn(
        process.execPath,
        ['-r', './tools/runtime/register-aliases.cjs', 'dist/out-tsc/apps/tracking/src/main.js'],
        {
          cwd: repoRoot,
          env: {
            ...process.env,
            NODE_ENV: 'production',
            NODE_OPTIONS: process.env.BENCH_SELF_HOSTED_NODE_OPTIONS ?? '',
            LOG_LEVEL: 'warn',
            HOST: '127.0.0.1',
            PORT: String(SELF_HOSTED_PORT),
            LTS_MODE: 'self-hosted',
            LTS_DATA_DIR: dataDir,
            LTS_VENDOR_KEYS_FILE: keysFile,
            LTS_RATE_LIMIT_PER_MINUTE: '100000000',
          },
          stdio: ['ignore', 'inherit', 'inherit'],
        },
      );
      const exited = new Promise((done) => child.once('exit', done));
      try {
        let ready;
        while (ready === undefined) {
          if (child.exitCode !== null) throw new Error(`self-hosted LTS exited with ${child.exitCode}`);
          if (
            await fetch(`${url}/health/ready`).then(
              (r) => r.ok,
              () => false,
            )
          )
            ready = performance.now() - started;
          else if (performance.now() - started > 30_000)
            throw new Error('self-hosted LTS not ready after 30 s');
          else await sleep(5);
        }
        await sleep(5000);
        const rest = memoryOf(child.pid);
        const run = { coldStartMs: ready, restRss: rest.rss, load: load() };
        if (n === 0) {
          const instance = await (await fetch(`${url}/v1/lts/instance`)).json();
          const file = signLicenseFile(
            {
              licenseId: randomUUID(),
              licenseKey: newLicenseKey(),
              accountId: randomUUID(),
              trackingMode: 'self-hosted',
              ltsInstanceId: instance.ltsInstanceId,
              trackingUrl: null,
              entitlements: [{ product: PRODUCT, unit: 'device', seats: leaseCount, expiresAt: null }],
              issuedAt: new Date().toISOString(),
            },
            { kid, privateKey },
          );
          const loaded = await fetch(`${url}/v1/lts/license-files`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(file),
          });
          if (loaded.status !== 201)
            throw new Error(`licence file refused: ${loaded.status} ${await loaded.text()}`);
          const key = JSON.parse(Buffer.from(file.payload, 'base64url').toString()).licenseKey;
          const { results } = await openLoad({
            url,
            rate: 1000,
            seconds: leaseCount / 1000,
            make: acquisitions([key])('self'),
          });
          run.acquired = results.filter((r) => r.status === 201).length;
          await sleep(5000);
          const held = memoryOf(child.pid);
          run.heldRss = held.rss;
          run.peakRss = held.peak;
        }
        runs.push(run);
        console.log(
          `Self-hosted start ${n + 1}: ready in ${fmt(run.coldStartMs, 0)} ms, RSS at rest ${fmt(run.restRss)} MB` +
            (run.acquired !== undefined
              ? `, with ${run.acquired} leases ${fmt(run.heldRss)} MB (peak ${fmt(run.peakRss)} MB)`
              : '') +
            ` (load ${run.load})`,
        );
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return runs;
}

async function seedCeilingLeases(databaseUrl, rows) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('DROP TABLE IF EXISTS bench_leases');
    await client.query(
      'CREATE TABLE bench_leases (id uuid PRIMARY KEY, license_id uuid NOT NULL, client_id text NOT NULL, ' +
        "status text NOT NULL DEFAULT 'active', acquired_at timestamptz NOT NULL DEFAULT now(), " +
        'expires_at timestamptz NOT NULL)',
    );
    await client.query(
      'INSERT INTO bench_leases (id, license_id, client_id, expires_at) ' +
        "SELECT gen_random_uuid(), gen_random_uuid(), 'device-' || n, now() + interval '600 seconds' " +
        'FROM generate_series(1, $1) AS n',
      [rows],
    );
    await client.query('VACUUM ANALYZE bench_leases');
    const { rows: ids } = await client.query('SELECT id FROM bench_leases');
    return ids.map((row) => row.id);
  } finally {
    await client.end();
  }
}

async function startCeilingServer(port, databaseUrl, poolSize) {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    [
      script,
      '--ceiling-server',
      '--port',
      String(port),
      '--database-url',
      databaseUrl,
      '--pool-size',
      String(poolSize),
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`the ceiling server exited with ${child.exitCode}`);
    if (
      await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      )
    ) {
      return {
        url,
        pid: child.pid,
        stop: () => new Promise((done) => (child.once('exit', done), child.kill('SIGTERM'))),
      };
    }
    await sleep(100);
  }
  throw new Error('the ceiling server did not start');
}

/** The ceiling's server: Fastify, the heartbeat route, one UPDATE in autocommit per request. */
async function serveCeiling(port, databaseUrl, poolSize) {
  const { default: Fastify } = await import('fastify');
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
  pool.on('error', () => undefined); // an idle connection dropped at shutdown: nothing to do
  const app = Fastify({ logger: false });
  app.get('/health', async () => ({ ok: true }));
  app.post('/v1/lts/leases/:leaseId/heartbeat', async (request, reply) => {
    const { leaseId } = request.params;
    const { rows } = await pool.query(
      "UPDATE bench_leases SET expires_at = now() + interval '600 seconds' " +
        "WHERE id = $1 AND status = 'active' RETURNING expires_at",
      [leaseId],
    );
    if (rows.length === 0) return reply.status(410).send({ type: 'lease-gone' });
    return { leaseId, expiresAt: rows[0].expires_at.toISOString(), heartbeatIntervalSeconds: 180 };
  });
  await app.listen({ port, host: '127.0.0.1' });
  process.once('SIGTERM', async () => {
    await app.close();
    await pool.end();
    process.exit(0);
  });
}

function printSummary(report, { seconds, leaseRows, lts, sweep, selfHosted, loads, started }) {
  console.log(
    `\nMachine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; started ${started}; ` +
      `load average (1, 5, 15 min) ${loads.map(({ what, load }) => `at ${what} ${load}`).join(', ')}; ${seconds} s per rate, ` +
      `${leaseRows} ceiling rows` +
      (lts
        ? `; hosted: ${lts.seeded ? `${lts.seeded.leases} active leases over ${lts.seeded.licenses} licences of ${lts.seeded.seats} seats` : 'given by --url'}`
        : '') +
      '\n',
  );
  if (report.length > 0) {
    printTable(
      [
        'what',
        'arrival rate /s',
        'ok',
        'ok/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'CPU ms/request: server, postgres, generator',
        'load before',
      ],
      report.map(({ label, rate, ok, sent, okPerSecond, p50, p99, max, cpuPerRequest: c, load }) => [
        label,
        rate,
        `${ok}/${sent}`,
        fmt(okPerSecond, 0),
        fmt(p50),
        fmt(p99),
        fmt(max),
        [c.server, c.postgres, c.generator].map((ms) => fmt(ms, 2)).join(', '),
        load.split(' ')[0],
      ]),
    );
  }
  const sustained = (label) =>
    report.filter((row) => row.label === label && row.ok === row.sent && row.p99 < 50).at(-1);
  const lines = [];
  if (report.length > 0) {
    const ceiling = sustained('ceiling heartbeats');
    const beats = sustained('LTS heartbeats');
    const acquired = sustained('LTS acquisitions');
    const rate = (row) => (row ? `${fmt(row.okPerSecond, 0)}/s (offered ${row.rate}/s)` : 'no rate met it');
    lines.push(['ceiling heartbeats, p99 < 50 ms', rate(ceiling), '-']);
    lines.push([
      'hosted heartbeats, p99 < 50 ms, 100,000 leases stored',
      rate(beats) +
        (beats && ceiling
          ? `, ${fmt((100 * beats.okPerSecond) / ceiling.okPerSecond, 0)}% of the ceiling`
          : ''),
      '5,600/s',
    ]);
    lines.push(['hosted acquisitions, p99 < 50 ms', rate(acquired), '1,000/s']);
  }
  if (sweep) {
    lines.push([
      `hosted sweeper: ${sweep.leases} leases expired at once → all ended, events committed`,
      `${fmt(sweep.endedMs / 1000, 2)} s (the sweep itself ≤ ${fmt(sweep.sweepMs / 1000, 2)} s, started ${fmt(sweep.sweepStartMs / 1000, 2)} s after; on usage.v1 after ${fmt(sweep.onKafkaMs / 1000, 2)} s)`,
      '< 5 s',
    ]);
  }
  if (selfHosted?.length) {
    const starts = selfHosted.map((run) => run.coldStartMs);
    const rests = selfHosted.map((run) => run.restRss);
    const first = selfHosted[0];
    lines.push([
      'self-hosted cold start (spawn → /health/ready)',
      `${fmt(percentile(starts, 50) / 1000, 2)} s median of ${starts.length} (${starts.map((ms) => fmt(ms / 1000, 2)).join(', ')})`,
      '< 2 s',
    ]);
    lines.push([
      'self-hosted RSS at rest',
      `${fmt(percentile(rests, 50))} MB median (${rests.map((mb) => fmt(mb)).join(', ')})`,
      '< 100 MB',
    ]);
    lines.push([
      `self-hosted RSS with ${first.acquired} leases`,
      `${fmt(first.heldRss)} MB (peak while acquiring ${fmt(first.peakRss)} MB)`,
      '< 100 MB',
    ]);
  }
  console.log('');
  printTable(['figure', 'measured', 'goal'], lines);
}

/** A Markdown table for the README: numbers right-aligned, text left. */
function printTable(header, rows) {
  const numeric = header.map((_, i) =>
    rows.every((row) => typeof row[i] === 'number' || /^[\d.,/-]+$/.test(row[i])),
  );
  console.log(`| ${header.join(' | ')} |`);
  console.log(`| ${numeric.map((right) => (right ? '---:' : '---')).join(' | ')} |`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}
