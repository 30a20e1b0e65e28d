#!/usr/bin/env node
// License Tracking Server (hosted) throughput, against a bare Fastify + Postgres ceiling.
//
//   node tools/bench/tracking.mjs                                   # the ceiling alone (runs today)
//   node tools/bench/tracking.mjs --url http://127.0.0.1:3106 --lease-ids ids.txt \
//        --license-key OTL1-... [--product barcode-reader-js] --database-url postgres://...
//                                                                   # a running hosted LTS
//
// In an open model (lib.mjs openLoad: request i is sent at start + i / rate whatever happened to
// the others, and its latency counts from that scheduled moment, so a slow server cannot lower the
// load it is given: no coordinated omission), for each arrival rate:
//  1. Ceiling: a bare Fastify handler in its own process, serving the LTS heartbeat route with one
//     `UPDATE bench_leases SET expires_at = ... WHERE id = $1 RETURNING expires_at` in autocommit
//     (the statement is its own transaction: one round trip, one COMMIT) over a pool of 32, on
//     --lease-rows stored leases. Heartbeats/s with p99 < 50 ms.
//  2. Hosted LTS heartbeats: `POST /v1/lts/leases/{id}/heartbeat` over the given lease ids, each id at
//     most once per rate while there are enough (as a million seats beating every 3 minutes would).
//  3. Hosted LTS acquisitions: `POST /v1/lts/leases` for new clientIds of one licence.
// The ceiling uses the same Postgres as the LTS when --database-url names it; otherwise it starts
// its own embedded Postgres on a bench port.
//
// LEAD: what is not wired yet (needs apps/tracking/src/hosted), marked `LEAD:` below:
//  - startHostedLts(): start Postgres + Kafka (startBenchInfra), the hosted LTS (startService
//    'tracking' with LTS_MODE=vendor-hosted, LTS_RATE_LIMIT_PER_MINUTE high, LTS_LEASE_TTL_SECONDS
//    long), a licence with enough seats (licenses.v1 events or the service's tables) and 100,000
//    active leases, and return { url, pid, leaseIds, licenseKey, product, databaseUrl, stop }.
//  - the sweeper: time to expire 10,000 leases (goal < 5 s), and the self-hosted cold start and RSS
//    (goals < 2 s, < 100 MB at rest and with 10,000 leases).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, chmodSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { ensureDatabase, usePostgres, withDatabase } from '../infra/postgres.mjs';
import { cpuOfProcessTrees, fmt, openLoad, percentile } from './lib.mjs';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '1000,2000,3000,4000,5600' },
    'ceiling-rates': { type: 'string' },
    'acquire-rates': { type: 'string', default: '250,500,1000' },
    seconds: { type: 'string', default: '10' },
    'lease-rows': { type: 'string', default: '100000' },
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

  const lts = values.url ? runningLts() : await startHostedLts();
  const dataDir = mkdtempSync(join(tmpdir(), 'otl-bench-tracking-'));
  chmodSync(dataDir, 0o755); // the embedded Postgres runs as its own user when we are root
  const postgres = await usePostgres({
    databaseUrl: values['database-url'] ?? lts?.databaseUrl,
    port: 56533,
    dataDir: join(dataDir, 'postgres'),
  });
  const postmaster = postgres.embedded
    ? Number(readFileSync(join(dataDir, 'postgres/pgdata/postmaster.pid'), 'utf8').split('\n')[0])
    : undefined;
  let ceiling;
  try {
    await ensureDatabase(postgres.adminUrl, 'bench_tracking_ceiling');
    const ceilingUrl = withDatabase(postgres.adminUrl, 'bench_tracking_ceiling');
    const ceilingIds = await seedCeilingLeases(ceilingUrl, leaseRows);
    ceiling = await startCeilingServer(3197, ceilingUrl, Number(values['pool-size']));

    const report = [];
    const measure = async (label, url, pids, rateList, make, okStatus) => {
      // Warm-up (not measured): lets V8 optimise the hot paths and the pools fill.
      await openLoad({ url, rate: Math.min(500, rateList[0]), seconds: 3, make: make('warm') });
      await sleep(1000);
      for (const rate of rateList) {
        process.stdout.write(`${label}: ${rate}/s for ${seconds} s ... `);
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

    if (lts) {
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
        acquisitions(lts.licenseKey, lts.product),
        201,
      );
      // LEAD: the sweeper (10,000 leases past expiresAt → ended and `lease.expired` on usage.v1, goal
      // < 5 s) once the hosted mode lands: e.g. acquire 10,000 leases, move their expires_at into the
      // past in the service's table, and time until the last is ended.
    }

    printSummary(report, { seconds, leaseRows, lts });
  } finally {
    await ceiling?.stop();
    await lts?.stop?.();
    await postgres.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
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

/** New seats of one licence, a new clientId each. */
function acquisitions(licenseKey, product) {
  const run = randomUUID().slice(0, 8);
  return (phase) => (i) => ({
    path: '/v1/lts/leases',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      licenseKey,
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
    licenseKey: values['license-key'],
    product: values.product,
    databaseUrl: values['database-url'],
  };
}

/** LEAD: start the hosted LTS with its infrastructure and data; until then only the ceiling runs. */
async function startHostedLts() {
  console.log(
    'Hosted LTS: not started (LEAD: wire startHostedLts() in tools/bench/tracking.mjs once ' +
      'apps/tracking/src/hosted lands, or pass --url of a running one). Measuring the ceiling only.\n',
  );
  return undefined;
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

function printSummary(report, { seconds, leaseRows, lts }) {
  console.log(
    `\nMachine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ` +
      `load average ${loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')}; ${seconds} s per rate, ${leaseRows} ceiling rows\n`,
  );
  const columns = ['what', 'arrival rate /s', 'ok', 'ok/s', 'p50 ms', 'p99 ms', 'max ms'];
  printTable(
    [...columns, 'CPU ms/request: server, postgres, generator'],
    report.map(({ label, rate, ok, sent, okPerSecond, p50, p99, max, cpuPerRequest: c }) => [
      label,
      rate,
      `${ok}/${sent}`,
      fmt(okPerSecond, 0),
      fmt(p50),
      fmt(p99),
      fmt(max),
      [c.server, c.postgres, c.generator].map((ms) => fmt(ms, 2)).join(', '),
    ]),
  );
  const sustained = (label) =>
    report.filter((row) => row.label === label && row.ok === row.sent && row.p99 < 50).at(-1);
  const ceiling = sustained('ceiling heartbeats');
  console.log(
    `\nCeiling, sustained with p99 < 50 ms: ${ceiling ? `${fmt(ceiling.okPerSecond, 0)} heartbeats/s` : 'no rate met it'}`,
  );
  if (!lts) {
    console.log('LTS heartbeats and acquisitions: not measured (LEAD: wire startHostedLts or pass --url).');
    return;
  }
  const beats = sustained('LTS heartbeats');
  const acquired = sustained('LTS acquisitions');
  console.log(
    `LTS heartbeats, sustained with p99 < 50 ms: ${beats ? `${fmt(beats.okPerSecond, 0)}/s` : 'no rate met it'} (goal 5,600/s)` +
      (beats && ceiling
        ? `, ${fmt((100 * beats.okPerSecond) / ceiling.okPerSecond, 0)}% of the ceiling`
        : ''),
  );
  console.log(
    `LTS acquisitions, sustained with p99 < 50 ms: ${acquired ? `${fmt(acquired.okPerSecond, 0)}/s` : 'no rate met it'} (goal 1,000/s)`,
  );
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
