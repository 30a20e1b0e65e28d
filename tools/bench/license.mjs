#!/usr/bin/env node
// License service: purchase-to-visible latency, generate + activate + download throughput, and
// the time to rebuild the read models from 100,000 events.
//
//   npm run bench:license [-- --rate 200 --seconds 20 --concurrency 4,8,16 --ops-seconds 10 --rebuild-events 100000]
//
// Starts its own Postgres, Kafka and MailDev on bench ports (throwaway data), then store-webhook,
// account and license (one instance each):
//  1. signs up --buyers verified buyers, then drives signed store orders by them at --rate (open
//     model) and measures, per item, the time from the store webhook's 202 to the commit that makes
//     it visible in GET /v1/license-items (the read-model row is written in that transaction; the
//     moment is the transaction's time in es_events), with a sample checked through the API;
//  2. runs generate (one item) + activate + download file back to back from N concurrent clients;
//  3. appends synthetic item and licence events up to --rebuild-events and times
//     `license:rebuild-read-model` over the whole log.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { build, repoRoot } from '../stack/bootstrap.mjs';
import {
  fmt,
  newWebhookSecret,
  openLoad,
  percentile,
  maildevToken,
  startBenchInfra,
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
  },
});
const PASSWORD = 'correct horse battery staple';
const ed25519 = () =>
  Buffer.from(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' })).toString(
    'base64',
  );

if (!process.env.BENCH_SKIP_BUILD) await build();
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
  const visibleAt = new Map();
  const deadline = Date.now() + 60_000;
  while (visibleAt.size < accepted.size && Date.now() < deadline) {
    const { rows } = await db.query(
      `SELECT data->>'purchaseId' AS purchase_id, (extract(epoch FROM recorded_at) * 1000)::float8 AS at
         FROM es_events WHERE type = 'license.item-recorded' AND data->>'purchaseId' = ANY($1::text[])`,
      [[...accepted.keys()].filter((id) => !visibleAt.has(id))],
    );
    for (const row of rows) visibleAt.set(row.purchase_id, row.at);
    if (visibleAt.size < accepted.size) await sleep(250);
  }
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
  const target = Number(values['rebuild-events']);
  const existing = Number(
    (await db.query(`SELECT count(*) FROM es_events WHERE stream_id LIKE 'license-%'`)).rows[0].count,
  );
  process.stdout.write(`\nAppending synthetic events: ${existing} in the log, up to ${target} ... `);
  await appendSynthetic(db, Math.max(0, target - existing));
  const total = Number(
    (await db.query(`SELECT count(*) FROM es_events WHERE stream_id LIKE 'license-%'`)).rows[0].count,
  );
  console.log(`${total} events`);
  await db.end();
  const t0 = performance.now();
  const rebuild = spawnSync(
    process.execPath,
    [
      '-r',
      './tools/runtime/register-aliases.cjs',
      'dist/out-tsc/apps/license/src/licenses/rebuild-command.js',
    ],
    { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, DATABASE_URL: licenseDb } },
  );
  const rebuildSeconds = (performance.now() - t0) / 1000;
  console.log(
    `  ${rebuild.stdout.trim() || rebuild.stderr.trim()} (process wall time ${fmt(rebuildSeconds)} s)`,
  );

  console.log(
    `\nMachine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`,
  );
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
  console.log(`\nRebuild of ${total} events: ${fmt(rebuildSeconds)} s (goal: under 30 s).`);
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

/**
 * Appends `count` events the way the service writes them: items recorded, half of them licensed,
 * one licence (generated, terms, activated) per two licensed items. Plain INSERTs in batches.
 */
async function appendSynthetic(pool, count) {
  const accountId = randomUUID();
  const now = new Date().toISOString();
  const catalog = {
    sku: 'BARCODE-JS-DEVICE-1Y',
    product: 'barcode-reader-js',
    unit: 'device',
    term: '1y',
    seatsPerQuantity: 1,
  };
  let written = 0;
  while (written < count) {
    const batch = [];
    while (batch.length < 5000 && written + batch.length < count) {
      const itemIds = [randomUUID(), randomUUID()];
      const licenseId = randomUUID();
      for (const [position, itemId] of itemIds.entries()) {
        batch.push([
          `license-item-${itemId}`,
          1,
          'license.item-recorded',
          {
            itemId,
            purchaseId: randomUUID(),
            accountId,
            channel: 'store',
            externalRef: 'SYN',
            sku: catalog.sku,
            quantity: 1,
            position,
            catalog,
            catalogVersion: 1,
            purchasedAt: now,
          },
        ]);
        batch.push([
          `license-item-${itemId}`,
          2,
          'license.item-licensed',
          { itemId, licenseId, licensedAt: now },
        ]);
      }
      const items = itemIds.map((itemId) => ({
        itemId,
        sku: catalog.sku,
        product: catalog.product,
        unit: catalog.unit,
        quantity: 1,
        expiresAt: null,
      }));
      batch.push([
        `license-${licenseId}`,
        1,
        'license.generated.v1',
        { licenseId, accountId, licenseKeyHash: '0'.repeat(64), items, generatedAt: now },
      ]);
      batch.push([
        `license-${licenseId}`,
        2,
        'license.terms-recorded',
        { items: itemIds.map((itemId) => ({ itemId, term: '1y', seatsPerQuantity: 1 })) },
      ]);
      batch.push([
        `license-${licenseId}`,
        3,
        'license.activated.v1',
        { licenseId, accountId, trackingMode: 'vendor-hosted', ltsInstanceId: null, activatedAt: now },
      ]);
    }
    await pool.query(
      `INSERT INTO es_events (stream_id, stream_position, event_id, type, schema_version, data, metadata)
       SELECT e->>0, (e->>1)::bigint, gen_random_uuid(), e->>2, 1, e->3, '{}'::jsonb FROM jsonb_array_elements($1::jsonb) AS e`,
      [JSON.stringify(batch)],
    );
    written += batch.length;
  }
}
