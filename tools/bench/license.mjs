#!/usr/bin/env node
// License service: purchase-to-visible latency, generate + activate + download throughput, and
// the time to rebuild the read models from 100,000 events.
//
//   npm run bench:license [-- --rate 200 --seconds 20 --concurrency 4,8,16 --ops-seconds 10 --rebuild-events 100000]
//   npm run bench:license -- --only rebuild --rebuild-events 1000000   # step 3 alone, on Postgres only
//
// Starts its own Postgres, Kafka and MailDev on bench ports (throwaway data), then store-webhook,
// account and license (one instance each):
//  1. signs up --buyers verified buyers, then drives signed store orders by them at --rate (open
//     model) and measures, per item, the time from the store webhook's 202 to the commit that makes
//     it visible in GET /v1/license-items (the read-model row is written in that transaction; the
//     moment is the transaction's time in es_events), with a sample checked through the API;
//  2. runs generate (one item) + activate + download file back to back from N concurrent clients;
//  3. appends synthetic item and licence events up to --rebuild-events and times
//     `license:rebuild-read-model` over the whole log (wall time, peak RSS, CPU of it and Postgres).
// With `--only rebuild` it starts only Postgres and runs step 3 on an empty license database.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { build, repoRoot } from '../stack/bootstrap.mjs';
import {
  cpuOfOwnProcesses,
  eventTimes,
  fmt,
  newWebhookSecret,
  openLoad,
  percentile,
  maildevToken,
  startBenchInfra,
  startBenchPostgres,
  startService,
  storeOrders,
} from './lib.mjs';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '20' },
    buyers: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '4,8,16' },
    'ops-seconds': { type: 'string', default: '10' },
    'rebuild-events': { type: 'string', default: '100000' },
    only: { type: 'string' },
  },
});
if (values.only !== undefined && values.only !== 'rebuild') {
  console.error(`--only takes one value, rebuild (got ${values.only})`);
  process.exit(2);
}
const PASSWORD = 'correct horse battery staple';
const ed25519 = () =>
  Buffer.from(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' })).toString(
    'base64',
  );

if (!process.env.BENCH_SKIP_BUILD) await build();
if (values.only === 'rebuild') {
  const postgres = await startBenchPostgres();
  try {
    const licenseDb = await postgres.database('license');
    await runRebuild(licenseDb); // an empty log: only creates the tables (the command migrates)
    const rebuild = await measureRebuild(licenseDb, Number(values['rebuild-events']));
    printMachine();
    printRebuild(rebuild);
  } finally {
    await postgres.stop();
  }
  process.exit(0);
}
const infra = await startBenchInfra();
const services = [];
try {
  await infra.topics(['purchases.v1', 'accounts.v1', 'licenses.v1'].flatMap((t) => [t, `${t}.dlq`]));
  const secret = newWebhookSecret();
  const licenseDb = await infra.database('license');
  const store = await startService('store-webhook', 3191, {
    DATABASE_URL: await infra.database('store_webhook'),
    KAFKA_BROKERS: infra.brokers,
    STORE_WEBHOOK_SECRET: secret,
  });
  services.push(store);
  const account = await startService('account', 3194, {
    DATABASE_URL: await infra.database('account'),
    KAFKA_BROKERS: infra.brokers,
    SMTP_URL: infra.smtpUrl,
    ACCESS_TOKEN_SIGNING_KEY: ed25519(),
    RATE_LIMIT_REGISTER_PER_CLIENT: '100000/60',
    RATE_LIMIT_SIGN_IN_PER_CLIENT: '100000/60',
  });
  services.push(account);
  const license = await startService('license', 3195, {
    DATABASE_URL: licenseDb,
    KAFKA_BROKERS: infra.brokers,
    LICENSE_SIGNING_KEY: ed25519(),
    ACCESS_TOKEN_JWKS_URL: `${account.url}/.well-known/jwks.json`,
  });
  services.push(license);
  const db = new pg.Pool({ connectionString: licenseDb, max: 4 });

  // Verified buyers with access tokens.
  const run = randomUUID().slice(0, 8);
  const buyers = Array.from({ length: Number(values.buyers) }, (_, i) => ({
    email: `buyer-${run}-${i}@example.com`,
  }));
  process.stdout.write(`\nSigning up ${buyers.length} buyers ... `);
  for (const buyer of buyers)
    await call(account.url, 'POST', '/v1/accounts', {
      email: buyer.email,
      password: PASSWORD,
      name: 'Bench',
    });
  for (const buyer of buyers) {
    await call(account.url, 'POST', '/v1/accounts/verification', {
      token: await maildevToken(infra.maildevUrl, buyer.email),
    });
    buyer.token = (
      await call(account.url, 'POST', '/v1/auth/token', { email: buyer.email, password: PASSWORD })
    ).body.accessToken;
  }
  console.log('done');

  const orders = (tag, timestamp) =>
    storeOrders({ secret, run: `${run}-${tag}`, timestamp, buyer: (i) => buyers[i % buyers.length].email });
  process.stdout.write('Warm-up: 100 purchases/s for 10 s (not measured) ... ');
  await openLoad({
    url: store.url,
    rate: 100,
    seconds: 10,
    make: orders('warm', Math.floor(Date.now() / 1000) + 30),
  });
  await sleep(3000);
  console.log('done');

  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  process.stdout.write(`Purchases: ${rate}/s for ${seconds} s ... `);
  const { results } = await openLoad({
    url: store.url,
    rate,
    seconds,
    make: orders('load', Math.floor(Date.now() / 1000) + 30),
  });
  const accepted = new Map(
    results.filter((r) => r.status === 202).map((r) => [JSON.parse(r.body).purchaseId, r.at]),
  );
  // Visible = committed with its read-model row (same transaction as license.item-recorded).
  const visibleAt = await eventTimes(db, 'license.item-recorded', [...accepted.keys()], 60_000);
  const delays = [...accepted]
    .filter(([id]) => visibleAt.has(id))
    .map(([id, at]) => Math.max(0, visibleAt.get(id) - at));
  const visible = {
    p50: percentile(delays, 50),
    p99: percentile(delays, 99),
    max: Math.max(...delays),
    missing: accepted.size - delays.length,
  };
  console.log(
    `accepted ${accepted.size}/${results.length}; 202→visible p50 ${fmt(visible.p50)} ms, p99 ${fmt(visible.p99)} ms, max ${fmt(visible.max)} ms` +
      (visible.missing ? `, ${visible.missing} not visible after 60 s` : ''),
  );
  // The API shows what the log says (a sample).
  const sample = (await call(license.url, 'GET', '/v1/license-items', undefined, buyers[0].token)).body;
  const expected = Math.ceil(accepted.size / buyers.length);
  console.log(
    `  API check: buyer 0 sees ${sample.length} items (at least ${expected} expected from this run)`,
  );

  // Generate (one item) + activate + download, back to back.
  const opsRows = [];
  const available = [];
  for (const buyer of buyers) {
    const items = (await call(license.url, 'GET', '/v1/license-items', undefined, buyer.token)).body;
    for (const item of items) if (item.status === 'available') available.push({ buyer, itemId: item.itemId });
  }
  for (const concurrency of values.concurrency.split(',').map(Number)) {
    const latencies = [];
    let failed = 0;
    const end = performance.now() + Number(values['ops-seconds']) * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          const next = available.pop();
          if (!next) return;
          const t0 = performance.now();
          const made = await call(
            license.url,
            'POST',
            '/v1/licenses',
            { itemIds: [next.itemId] },
            next.buyer.token,
          );
          const id = made.body.licenseId;
          const active = await call(
            license.url,
            'POST',
            `/v1/licenses/${id}/activation`,
            { trackingMode: 'vendor-hosted' },
            next.buyer.token,
          );
          const file = await call(license.url, 'GET', `/v1/licenses/${id}/file`, undefined, next.buyer.token);
          if (made.status !== 201 || active.status !== 200 || file.status !== 200) failed++;
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const row = {
      concurrency,
      perSecond: (latencies.length - failed) / elapsed,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      failed,
      done: latencies.length,
    };
    opsRows.push(row);
    console.log(
      `  ${concurrency} concurrent: ${fmt(row.perSecond, 0)} licences/s generated+activated+downloaded (p50 ${fmt(row.p50)} ms, p99 ${fmt(row.p99)} ms, ${failed} failed of ${row.done})`,
    );
  }

  // Synthetic history up to --rebuild-events, then the rebuild over the whole log. The services
  // stop first, so nothing else competes with the rebuild (nor publishes the synthetic events).
  for (const service of services.splice(0).reverse()) await service.stop();
  await db.end();
  const rebuild = await measureRebuild(licenseDb, Number(values['rebuild-events']));

  printMachine();
  console.log('\n| purchases/s | accepted | 202→visible p50 ms | p99 ms | max ms | not visible |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
  console.log(
    `| ${rate} | ${accepted.size}/${results.length} | ${fmt(visible.p50)} | ${fmt(visible.p99)} | ${fmt(visible.max)} | ${visible.missing} |`,
  );
  console.log(
    '\n| concurrent clients | licences/s (generate + activate + download) | p50 ms | p99 ms | failed |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: |');
  for (const row of opsRows)
    console.log(
      `| ${row.concurrency} | ${fmt(row.perSecond, 0)} | ${fmt(row.p50)} | ${fmt(row.p99)} | ${row.failed} |`,
    );
  printRebuild(rebuild);
} finally {
  for (const service of services.reverse()) await service.stop();
  await infra.stop();
}

async function call(url, method, path, body, token) {
  const headers = { 'x-forwarded-for': '198.51.100.7' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

function printMachine() {
  console.log(
    `\nMachine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ` +
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
}

function printRebuild(r) {
  console.log(
    '\n| events | wall s | events/s | peak RSS MiB | rebuild CPU s | Postgres CPU s | load avg (1 min) |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  console.log(
    `| ${r.events} | ${fmt(r.seconds)} | ${fmt(r.events / r.seconds, 0)} | ${fmt(r.peakRssKiB / 1024, 0)} | ` +
      `${fmt(r.cpuMs / 1000)} | ${fmt(r.postgresCpuMs / 1000)} | ${fmt(r.loadAverage)} |`,
  );
  console.log(`\nRebuild of ${r.events} events: ${fmt(r.seconds)} s (goal: under 60 s for 1,000,000).`);
}

/**
 * Fills the license log up to `target` events, then times the rebuild command over it: wall time
 * (process start included), peak RSS (VmHWM of the process, read until it exits) and the CPU time
 * of it and of this run's Postgres.
 */
async function measureRebuild(licenseDb, target) {
  const db = new pg.Pool({ connectionString: licenseDb, max: 1 });
  const count = async () =>
    Number((await db.query(`SELECT count(*) FROM es_events WHERE stream_id LIKE 'license-%'`)).rows[0].count);
  const existing = await count();
  process.stdout.write(`\nAppending synthetic events: ${existing} in the log, up to ${target} ... `);
  const t = performance.now();
  await appendSynthetic(db, Math.max(0, target - existing));
  await db.query('VACUUM ANALYZE es_events'); // as autovacuum would have by then: hint bits, statistics
  const events = await count();
  await db.end();
  console.log(`${events} events (${fmt((performance.now() - t) / 1000)} s)`);
  const postgresBefore = (await cpuOfOwnProcesses({})).postgres;
  const run = await runRebuild(licenseDb);
  const postgresCpuMs = (await cpuOfOwnProcesses({})).postgres - postgresBefore;
  console.log(
    `  ${run.output} (process wall time ${fmt(run.seconds)} s, peak RSS ${fmt(run.peakRssKiB / 1024, 0)} MiB)`,
  );
  return { events, ...run, postgresCpuMs, loadAverage: loadavg()[0] };
}

/** Runs `license:rebuild-read-model` as an operator would, watching its VmHWM and CPU in /proc. */
async function runRebuild(licenseDb) {
  const t0 = performance.now();
  // REBUILD_NODE_ARGS go before the script, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = process.env.REBUILD_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      '-r',
      './tools/runtime/register-aliases.cjs',
      'dist/out-tsc/apps/license/src/licenses/rebuild-command.js',
    ],
    { cwd: repoRoot, env: { ...process.env, DATABASE_URL: licenseDb }, stdio: ['ignore', 'pipe', 'pipe'] },
  );

  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  let peakRssKiB = 0;
  let cpuMs = 0;
  const watch = () => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      peakRssKiB = Math.max(peakRssKiB, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpuMs = (Number(fields[11]) + Number(fields[12])) * 10; // USER_HZ 100
    } catch {
      // it has just exited
    }
  };
  const timer = setInterval(watch, 50);
  const code = await new Promise((done) => child.once('exit', done));
  clearInterval(timer);
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`license:rebuild-read-model exited with ${code}: ${output}`);
  return { output: output.trim(), seconds, peakRssKiB, cpuMs };
}

/**
 * Appends about `count` events in the shape the service writes them, in SQL (INSERT ... SELECT over
 * generate_series, in chunks), so a million take seconds. Each group is one purchase by one of
 * 1,000 accounts: `license.purchase-assigned` and three `license.item-recorded` (one transaction in
 * the service), then a licence for two of the items (`license.item-licensed` on each,
 * `license.generated.v1`, `license.terms-recorded`), then its `license.activated.v1`; the third item
 * stays available. Within a chunk the log holds all purchases first, then the licences, then the
 * activations, so a stream's events lie apart in the log as they do in production. 9 events a group.
 */
async function appendSynthetic(pool, count) {
  const perGroup = 9;
  const groups = Math.ceil(count / perGroup);
  const chunk = 20_000;
  const now = new Date().toISOString();
  const catalog = {
    sku: 'BARCODE-JS-DEVICE-1Y',
    product: 'barcode-reader-js',
    unit: 'device',
    term: '1y',
    seatsPerQuantity: 1,
  };
  const run = randomUUID();
  for (let first = 1; first <= groups; first += chunk) {
    const last = Math.min(groups, first + chunk - 1);
    await pool.query(
      `WITH g AS MATERIALIZED (
         SELECT n, gen_random_uuid() AS purchase_id, gen_random_uuid() AS license_id,
                ARRAY[gen_random_uuid(), gen_random_uuid(), gen_random_uuid()] AS item_ids,
                md5($4 || (n % 1000))::uuid AS account_id
           FROM generate_series($1::int, $2::int) AS n
       ), e AS (
         SELECT 1 AS phase, n, 0 AS k, 'license-purchase-' || purchase_id AS stream_id, 1 AS stream_position,
                'license.purchase-assigned' AS type,
                jsonb_build_object('accountId', account_id, 'itemIds', to_jsonb(item_ids)) AS data
           FROM g
         UNION ALL
         SELECT 1, n, i, 'license-item-' || item_ids[i], 1, 'license.item-recorded',
                jsonb_build_object('itemId', item_ids[i], 'purchaseId', purchase_id, 'accountId', account_id,
                  'channel', 'store', 'externalRef', 'SYN-' || n, 'sku', $3::jsonb->>'sku', 'quantity', 1,
                  'position', i - 1, 'catalog', $3::jsonb, 'catalogVersion', 1, 'purchasedAt', $5::text)
           FROM g, generate_series(1, 3) AS i
         UNION ALL
         SELECT 2, n, i, 'license-item-' || item_ids[i], 2, 'license.item-licensed',
                jsonb_build_object('itemId', item_ids[i], 'licenseId', license_id, 'licensedAt', $5::text)
           FROM g, generate_series(1, 2) AS i
         UNION ALL
         SELECT 2, n, 3, 'license-' || license_id, 1, 'license.generated.v1',
                jsonb_build_object('licenseId', license_id, 'accountId', account_id,
                  'licenseKeyHash', repeat('0', 64),
                  'items', (SELECT jsonb_agg(jsonb_build_object('itemId', item_ids[i], 'sku', $3::jsonb->>'sku',
                             'product', $3::jsonb->>'product', 'unit', $3::jsonb->>'unit', 'quantity', 1,
                             'expiresAt', NULL) ORDER BY i) FROM generate_series(1, 2) AS i),
                  'generatedAt', $5::text)
           FROM g
         UNION ALL
         SELECT 2, n, 4, 'license-' || license_id, 2, 'license.terms-recorded',
                jsonb_build_object('items', (SELECT jsonb_agg(jsonb_build_object('itemId', item_ids[i],
                  'term', '1y', 'seatsPerQuantity', 1) ORDER BY i) FROM generate_series(1, 2) AS i))
           FROM g
         UNION ALL
         SELECT 3, n, 0, 'license-' || license_id, 3, 'license.activated.v1',
                jsonb_build_object('licenseId', license_id, 'accountId', account_id,
                  'trackingMode', 'vendor-hosted', 'ltsInstanceId', NULL, 'activatedAt', $5::text)
           FROM g
       )
       INSERT INTO es_events (stream_id, stream_position, event_id, type, schema_version, data, metadata)
       SELECT stream_id, stream_position, gen_random_uuid(), type, 1, data, '{}'::jsonb
         FROM e ORDER BY phase, n, k`,
      [first, last, JSON.stringify(catalog), `bench-account-${run}-`, now],
    );
  }
}
