#!/usr/bin/env node
// po-intake: large submissions (latency and the service's peak memory) and the desk's queue over
// 100,000 purchase orders.
//
//   npm run bench:po-intake [-- --rounds 5 --concurrency 10 --orders 100000 --seed auto]
//
// Starts its own Postgres, Kafka and MailDev on bench ports (throwaway data), then account (for the
// staff's access tokens) and po-intake, one instance each:
//  1. --rounds rounds of --concurrency simultaneous POST /v1/purchase-orders by a sales rep, each with
//     a document of exactly --document-mib MiB decoded (a PDF header and trailer around random bytes,
//     base64 in the JSON body): the latency of each request, and the service's RSS sampled from
//     /proc/<pid>/status every few ms during each round, with VmHWM (the kernel's exact peak, reset
//     before each round through /proc/<pid>/clear_refs) beside it;
//  2. seeds --orders purchase orders: through the API (small documents, --api-seed-concurrency
//     clients) for --api-seed-seconds, which measures what the API sustains, then (--seed auto) the
//     rest as the rows the service writes (events, read model, document, poNumber claim) in SQL,
//     received from 90 days ago to now, due 24 h after receipt (not the business calendar: only the spread matters here), older ones
//     mostly decided, a few still open and so overdue. --seed api: all through the API (all received
//     now, none overdue); --seed sql: all in SQL;
//  3. GET /v1/purchase-orders: the default queue, ?status=received, ?overdue=true and pages deep in
//     the queue (cursors the API returned while walking it with limit=200), each --list-requests
//     times back to back from each of --list-concurrency clients.
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { build, repoRoot } from '../stack/bootstrap.mjs';
import { createStaffMember } from '../stack/staff.mjs';
import { cpuByComponent, fmt, percentile, startBenchInfra, startService } from './lib.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '10' },
    'document-mib': { type: 'string', default: '10' },
    orders: { type: 'string', default: '100000' },
    seed: { type: 'string', default: 'auto' },
    'api-seed-seconds': { type: 'string', default: '10' },
    'api-seed-concurrency': { type: 'string', default: '8' },
    'list-requests': { type: 'string', default: '300' },
    'list-concurrency': { type: 'string', default: '1,4' },
  },
});
const ROUNDS = Number(values.rounds);
const CONCURRENCY = Number(values.concurrency);
const DOCUMENT_BYTES = Math.round(Number(values['document-mib']) * 1024 * 1024);
const ORDERS = Number(values.orders);
const SEED = values.seed;
if (!['auto', 'api', 'sql'].includes(SEED)) throw new Error('--seed must be auto, api or sql');
const PASSWORD = 'staff password for the bench';
const DAY_MS = 86_400_000;
const ed25519 = () =>
  Buffer.from(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' })).toString(
    'base64',
  );
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

const SMALL_PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n' +
    'trailer <</Root 1 0 R>>\n%%EOF\n',
);
const SKUS = [
  ['BARCODE-JS-DEVICE-1Y', '1249.00'],
  ['WEBTWAIN-PRO-DOMAIN-1Y', '899.00'],
  ['BARCODE-JS-DEVICE-PERP', '2999.00'],
  ['DOC-VIEWER-SERVER-1Y', '4500.00'],
];
const CUSTOMERS = 2000;
const customerOf = (i) => ({
  email: `buyer.${i % CUSTOMERS}@customer${i % 97}.example`,
  name: `Buyer ${i % CUSTOMERS}`,
  company: i % 5 === 0 ? null : `Customer ${i % 97} Ltd`,
});
function itemsOf(i) {
  const lines = 1 + (i % 3);
  const items = Array.from({ length: lines }, (_, line) => {
    const [sku, unitPrice] = SKUS[(i + line) % SKUS.length];
    return { sku, quantity: 1 + ((i * 7 + line) % 20), unitPrice };
  });
  const cents = items.reduce(
    (sum, item) => sum + item.quantity * Math.round(Number(item.unitPrice) * 100),
    0,
  );
  return { items, total: (cents / 100).toFixed(2) };
}

if (!process.env.BENCH_SKIP_BUILD) await build();
/** The compiled libs/contracts: item ids of a recorded purchase, derived as every channel does. */
const { itemIdFor } = createRequire(import.meta.url)(
  join(repoRoot, 'dist/out-tsc/libs/contracts/src/index.js'),
);
const infra = await startBenchInfra();
const services = [];
let poIntake;
try {
  await infra.topics(['purchases.v1', 'accounts.v1'].flatMap((t) => [t, `${t}.dlq`]));
  const portalUrl = 'http://localhost:3170';
  const accountDb = await infra.database('account');
  const account = await startService('account', 3174, {
    DATABASE_URL: accountDb,
    KAFKA_BROKERS: infra.brokers,
    SMTP_URL: infra.smtpUrl,
    ACCESS_TOKEN_SIGNING_KEY: ed25519(),
    PORTAL_URL: portalUrl,
  });
  services.push(account);
  const poDb = await infra.database('po_intake');
  const poEnv = {
    DATABASE_URL: poDb,
    KAFKA_BROKERS: infra.brokers,
    ACCESS_TOKEN_JWKS_URL: `${account.url}/.well-known/jwks.json`,
    NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? '',
  };
  const startPoIntake = () => startService('po-intake', 3172, poEnv, nodeArgs);
  poIntake = await startPoIntake();
  const rep = await createStaffMember({
    accountUrl: account.url,
    databaseUrl: accountDb,
    portalUrl,
    role: 'sales-rep',
    password: PASSWORD,
  });
  const db = new pg.Pool({ connectionString: poDb, max: 4 });

  // 1. Large submissions.
  console.log(
    `\nSubmissions: ${ROUNDS} rounds of ${CONCURRENCY} simultaneous orders with a ${fmt(DOCUMENT_BYTES / 1048576, 2)} MiB document each`,
  );
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const submitUrl = new URL('/v1/purchase-orders', poIntake.url);
  let token = await rep.accessToken();
  // Warm-up: one large order alone (compiles the paths, grows the pools); not measured.
  {
    const warm = await post(agent, submitUrl, token, submissionBody(`PO-WARM-${randomUUID().slice(0, 8)}`));
    if (warm.status !== 201) throw new Error(`warm-up submission answered ${warm.status}: ${warm.body}`);
  }
  await sleep(2000);
  const restingRss = memoryOf(poIntake.pid).rss;
  const submitRows = [];
  const allLatencies = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const bodies = Array.from({ length: CONCURRENCY }, (_, i) =>
      submissionBody(`PO-BIG-${round}-${i}-${randomUUID().slice(0, 8)}`),
    );
    const before = memoryOf(poIntake.pid);
    const peakReset = resetPeak(poIntake.pid);
    let sampledPeak = before.rss;
    let samples = 0;
    const sampler = setInterval(() => {
      try {
        sampledPeak = Math.max(sampledPeak, memoryOf(poIntake.pid).rss);
        samples++;
      } catch {
        // the process is gone: the round fails below
      }
    }, 5);
    const cpu0 = await cpuByComponent(poIntake.pid);
    const started = performance.now();
    const answers = await Promise.all(bodies.map((body) => post(agent, submitUrl, token, body)));
    const wallMs = performance.now() - started;
    const cpu1 = await cpuByComponent(poIntake.pid);
    clearInterval(sampler);
    const after = memoryOf(poIntake.pid);
    const failed = answers.filter((answer) => answer.status !== 201);
    const latencies = answers.map((answer) => answer.latencyMs);
    allLatencies.push(...latencies);
    const row = {
      round,
      ok: answers.length - failed.length,
      total: answers.length,
      p50: percentile(latencies, 50),
      max: Math.max(...latencies),
      wallMs,
      sampledPeak,
      samples,
      hwm: peakReset ? after.peak : NaN,
      rssAfter: after.rss,
      serviceCpu: (cpu1.service - cpu0.service) / answers.length,
      postgresCpu: (cpu1.postgres - cpu0.postgres) / answers.length,
    };
    submitRows.push(row);
    console.log(
      `  round ${round}: ${row.ok}/${row.total} 201, p50 ${fmt(row.p50)} ms, max ${fmt(row.max)} ms, all in ${fmt(wallMs)} ms; ` +
        `RSS ${fmt(before.rss)} MB before, peak ${fmt(sampledPeak)} MB sampled (${samples} samples), VmHWM ${fmt(row.hwm)} MB, ` +
        `${fmt(after.rss)} MB after; CPU ms per order: service ${fmt(row.serviceCpu)}, postgres ${fmt(row.postgresCpu)}` +
        (failed.length
          ? `; failures: ${failed.map((f) => `${f.status} ${f.body.slice(0, 200)}`).join(' | ')}`
          : ''),
    );
    await sleep(2000); // let the round's garbage go before the next
  }
  agent.destroy();
  const documentBytes = Number(
    (await db.query('SELECT coalesce(sum(size), 0)::text AS bytes FROM po_documents')).rows[0].bytes,
  );
  console.log(`  stored: ${fmt(documentBytes / 1048576, 0)} MiB of documents`);

  // 2. Seed the queue.
  console.log(`\nSeeding ${ORDERS} purchase orders (--seed ${SEED})`);
  const existing = Number((await db.query('SELECT count(*)::text AS n FROM purchase_orders')).rows[0].n);
  let apiSeeded = 0;
  let apiRate = NaN;
  if (SEED !== 'sql') {
    token = await rep.accessToken();
    const seconds = SEED === 'api' ? Infinity : Number(values['api-seed-seconds']);
    const result = await seedThroughApi(poIntake.url, token, {
      count: ORDERS - existing,
      seconds,
      concurrency: Number(values['api-seed-concurrency']),
    });
    apiSeeded = result.done;
    apiRate = result.perSecond;
    console.log(
      `  through the API: ${apiSeeded} orders in ${fmt(result.seconds)} s = ${fmt(apiRate)} orders/s ` +
        `(${values['api-seed-concurrency']} clients, small PDF documents; ${result.failed} failed)`,
    );
  }
  const remaining = Math.max(0, ORDERS - existing - apiSeeded);
  let sqlSeeded = 0;
  let sqlSeconds = NaN;
  if (remaining > 0 && SEED !== 'api') {
    // The service is stopped while its tables are written behind its back, and its forwarder's
    // checkpoint is moved past the seeded history (published long ago, as far as Kafka is concerned).
    await poIntake.stop();
    poIntake = undefined;
    const t0 = performance.now();
    await seedInSql(db, remaining, rep);
    sqlSeconds = (performance.now() - t0) / 1000;
    sqlSeeded = remaining;
    await db.query('VACUUM ANALYZE purchase_orders');
    await db.query('VACUUM ANALYZE es_events');
    poIntake = await startPoIntake();
    console.log(
      `  in SQL: ${sqlSeeded} orders in ${fmt(sqlSeconds)} s (events, read model, document, claim, as submit/approve/reject/refund write them); po-intake restarted`,
    );
  }
  const { rows: mix } = await db.query(
    `SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'received')::int AS received,
            count(*) FILTER (WHERE status = 'received' AND due_by < now())::int AS overdue,
            count(*) FILTER (WHERE status = 'approved')::int AS approved,
            count(*) FILTER (WHERE status = 'rejected')::int AS rejected,
            count(*) FILTER (WHERE status = 'refunded')::int AS refunded,
            (SELECT count(*)::int FROM es_events) AS events
     FROM purchase_orders`,
  );
  const queue = mix[0];
  console.log(
    `  in the read model: ${queue.total} orders (${queue.received} received, ${queue.overdue} of them overdue; ` +
      `${queue.approved} approved, ${queue.rejected} rejected, ${queue.refunded} refunded), ${queue.events} events`,
  );

  // 3. The queue.
  console.log('\nQueue listing');
  token = await rep.accessToken();
  const listAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const get = (path) => request(listAgent, new URL(path, poIntake.url), 'GET', token);
  // Walk the whole queue with limit=200, keeping the cursors the API returns.
  const cursors = [];
  const walk = [];
  let listed = 0;
  for (let cursor = null, first = true; first || cursor; first = false) {
    const answer = await get(
      `/v1/purchase-orders?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    if (answer.status !== 200) throw new Error(`listing answered ${answer.status}: ${answer.body}`);
    walk.push(answer.latencyMs);
    const page = JSON.parse(answer.body);
    listed += page.purchaseOrders.length;
    cursor = page.nextCursor;
    if (cursor) cursors.push({ cursor, position: listed });
  }
  console.log(
    `  walked all ${listed} orders in ${walk.length} pages of 200: p50 ${fmt(percentile(walk, 50))} ms, p99 ${fmt(percentile(walk, 99))} ms per page`,
  );
  // Cursors from the deeper half of the queue.
  const deep = cursors.filter(({ position }) => position >= listed / 2).map(({ cursor }) => cursor);
  const variants = [
    { name: 'default (limit 50)', path: () => '/v1/purchase-orders' },
    { name: '?status=received', path: () => '/v1/purchase-orders?status=received' },
    { name: '?overdue=true', path: () => '/v1/purchase-orders?overdue=true' },
    {
      name: `?cursor=… (one of ${deep.length}, past position ${Math.round(listed / 2)})`,
      path: (i) => `/v1/purchase-orders?cursor=${encodeURIComponent(deep[i % deep.length])}`,
    },
  ];
  const listRows = [];
  for (const variant of variants) {
    for (let i = 0; i < 50; i++) await get(variant.path(i)); // warm-up
    for (const clients of values['list-concurrency'].split(',').map(Number)) {
      const latencies = [];
      let failed = 0;
      let next = 0;
      const total = Number(values['list-requests']) * clients;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: clients }, async () => {
          while (next < total) {
            const answer = await get(variant.path(next++));
            if (answer.status !== 200) failed++;
            latencies.push(answer.latencyMs);
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const row = {
        name: variant.name,
        clients,
        requests: latencies.length,
        failed,
        perSecond: latencies.length / seconds,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: Math.max(...latencies),
      };
      listRows.push(row);
      console.log(
        `  ${row.name}, ${clients} client(s): ${row.requests} requests, p50 ${fmt(row.p50)} ms, p99 ${fmt(row.p99)} ms, ` +
          `max ${fmt(row.max)} ms, ${fmt(row.perSecond, 0)}/s${failed ? `, ${failed} failed` : ''}`,
      );
    }
  }
  listAgent.destroy();
  await db.end();

  // Summary.
  console.log(
    `\nMachine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, load average ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  );
  const peakSampled = Math.max(...submitRows.map((row) => row.sampledPeak));
  const peakHwm = Math.max(...submitRows.map((row) => row.hwm));
  console.log(
    `\n${ROUNDS * CONCURRENCY} submissions of ${fmt(DOCUMENT_BYTES / 1048576, 2)} MiB (${CONCURRENCY} at once): ` +
      `p50 ${fmt(percentile(allLatencies, 50))} ms, p99 ${fmt(percentile(allLatencies, 99))} ms, max ${fmt(Math.max(...allLatencies))} ms (goal p99 < 1,500 ms); ` +
      `service peak RSS ${fmt(peakSampled)} MB sampled, ${fmt(peakHwm)} MB VmHWM (goal < 600 MB); ${fmt(restingRss)} MB at rest before`,
  );
  console.log(
    '\n| round | 201 | p50 ms | max ms | round ms | peak RSS MB (sampled) | VmHWM MB | RSS after MB | CPU ms/order: service, postgres |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const row of submitRows)
    console.log(
      `| ${row.round} | ${row.ok}/${row.total} | ${fmt(row.p50)} | ${fmt(row.max)} | ${fmt(row.wallMs)} | ${fmt(row.sampledPeak)} | ${fmt(row.hwm)} | ${fmt(row.rssAfter)} | ${fmt(row.serviceCpu)}, ${fmt(row.postgresCpu)} |`,
    );
  console.log(
    `\nQueue of ${queue.total} orders (${apiSeeded} seeded through the API, ${sqlSeeded} in SQL${sqlSeeded ? `, after the API managed ${fmt(apiRate)}/s` : ''}); goal p99 < 50 ms`,
  );
  console.log('\n| request | clients | requests | p50 ms | p99 ms | max ms | per second |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of listRows)
    console.log(
      `| ${row.name} | ${row.clients} | ${row.requests}${row.failed ? ` (${row.failed} failed)` : ''} | ${fmt(row.p50)} | ${fmt(row.p99)} | ${fmt(row.max)} | ${fmt(row.perSecond, 0)} |`,
    );
  console.log(
    `| walk with limit=200 | 1 | ${walk.length} | ${fmt(percentile(walk, 50))} | ${fmt(percentile(walk, 99))} | ${fmt(Math.max(...walk))} | |`,
  );
} finally {
  await poIntake?.stop();
  for (const service of services.reverse()) await service.stop();
  await infra.stop();
}

/** A PDF of exactly DOCUMENT_BYTES: a real header and catalog, random bytes as a stream, a trailer. */
function pdfDocument() {
  const head = Buffer.from(
    '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n' +
      '2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n3 0 obj\n<< /Length 0 /Filter /DCTDecode >>\nstream\n',
    'latin1',
  );
  const tail = Buffer.from('\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n', 'latin1');
  const document = randomBytes(DOCUMENT_BYTES);
  head.copy(document, 0);
  tail.copy(document, DOCUMENT_BYTES - tail.length);
  return document;
}

/** The JSON body of one order with a fresh large document, built as bytes (the base64 is long). */
function submissionBody(poNumber) {
  const head = JSON.stringify({
    poNumber,
    customer: {
      email: `buyer.${randomUUID().slice(0, 8)}@example.com`,
      name: 'Bea Buyer',
      company: 'Buyer GmbH',
    },
    items: [
      { sku: 'BARCODE-JS-DEVICE-1Y', quantity: 2, unitPrice: '1249.00' },
      { sku: 'WEBTWAIN-PRO-DOMAIN-1Y', quantity: 1, unitPrice: '899.00' },
    ],
    currency: 'EUR',
    total: '3397.00',
    document: { filename: `${poNumber}.pdf`, contentType: 'application/pdf', contentBase64: '' },
  });
  const split = head.length - '"}}'.length;
  return Buffer.concat([
    Buffer.from(head.slice(0, split)),
    Buffer.from(pdfDocument().toString('base64')),
    Buffer.from(head.slice(split)),
  ]);
}

function request(agent, url, method, token, body) {
  return new Promise((resolve) => {
    const started = performance.now();
    const headers = { authorization: `Bearer ${token}` };
    if (body) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(body.length);
    }
    const req = http.request(url, { agent, method, headers }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode,
          latencyMs: performance.now() - started,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', (error) =>
      resolve({ status: 0, latencyMs: performance.now() - started, body: String(error) }),
    );
    req.end(body);
  });
}

function post(agent, url, token, body) {
  return request(agent, url, 'POST', token, body);
}

/** VmRSS and VmHWM (peak) of a process, in MB. */
function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** Resets the kernel's peak-RSS mark (VmHWM) of a process; false where that is not allowed. */
function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Small orders through POST /v1/purchase-orders from `concurrency` clients, until `count` or `seconds`. */
async function seedThroughApi(url, token, { count, seconds, concurrency }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL('/v1/purchase-orders', url);
  const run = randomUUID().slice(0, 8);
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  let next = 0;
  let done = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count && performance.now() < deadline) {
        const i = next++;
        const { items, total } = itemsOf(i);
        const body = Buffer.from(
          JSON.stringify({
            poNumber: `PO-A${run}-${i}`,
            customer: customerOf(i),
            items,
            currency: i % 4 === 0 ? 'USD' : 'EUR',
            total,
            document: {
              filename: `PO-A${run}-${i}.pdf`,
              contentType: 'application/pdf',
              contentBase64: SMALL_PDF.toString('base64'),
            },
          }),
        );
        const answer = await post(agent, target, token, body);
        if (answer.status === 201) done++;
        else failed++;
      }
    }),
  );
  agent.destroy();
  const elapsed = (performance.now() - started) / 1000;
  return { done, failed, seconds: elapsed, perSecond: done / elapsed };
}

/**
 * `count` orders written as the service writes them: the stream's events (received; approved +
 * purchase.recorded.v1; rejected; refunded + purchase.refunded.v1), the read-model row with the
 * order's view, the document and, unless rejected, the poNumber claim. Received from 90 days ago to
 * now, due 24 h later; of those past due, 3% still open (overdue), 85% approved, 8% rejected, 4%
 * refunded. Then every forwarder checkpoint is moved past them.
 */
async function seedInSql(pool, count, rep) {
  const run = randomUUID().slice(0, 8);
  const now = Date.now();
  const submittedBy = { accountId: rep.accountId, email: rep.email };
  const manager = { accountId: randomUUID(), email: 'bench-manager@desk.example' };
  const sha256 = createHash('sha256').update(SMALL_PDF).digest('hex');
  const contentHex = `\\x${SMALL_PDF.toString('hex')}`;
  let random = 0x2545f491; // a fixed xorshift sequence: the same mix every run
  const uniform = () => {
    random ^= random << 13;
    random ^= random >>> 17;
    random ^= random << 5;
    return (random >>> 0) / 4294967296;
  };
  const BATCH = 2000;
  for (let offset = 0; offset < count; offset += BATCH) {
    const events = [];
    const orders = [];
    const documents = [];
    const claims = [];
    for (let i = offset; i < Math.min(count, offset + BATCH); i++) {
      const purchaseOrderId = randomUUID();
      const stream = `PurchaseOrder-${purchaseOrderId}`;
      const receivedAt = new Date(now - uniform() * 90 * DAY_MS);
      const dueBy = new Date(receivedAt.getTime() + DAY_MS);
      const poNumber = `PO-S${run}-${i}`;
      const customer = customerOf(i);
      const { items, total } = itemsOf(i);
      const currency = i % 4 === 0 ? 'USD' : 'EUR';
      const received = {
        purchaseOrderId,
        poNumber,
        customer,
        items,
        currency,
        total,
        document: {
          filename: `${poNumber}.pdf`,
          contentType: 'application/pdf',
          size: SMALL_PDF.length,
          sha256,
        },
        submittedBy,
        resubmissionOf: null,
        receivedAt: receivedAt.toISOString(),
        dueBy: dueBy.toISOString(),
      };
      const correlationId = randomUUID();
      const meta = (subject) => (subject ? { subject: purchaseOrderId, correlationId } : { correlationId });
      events.push([stream, 1, 'purchase-order.received.v1', received, meta(false)]);
      const view = {
        ...received,
        status: 'received',
        purchaseId: null,
        decidedAt: null,
        rejectionReason: null,
        refundReason: null,
        history: [{ action: 'submitted', by: submittedBy, at: received.receivedAt, reason: null }],
      };
      const pick = uniform();
      if (dueBy.getTime() < now && pick >= 0.03) {
        // Decided within its day, mostly well before the due time.
        const at = new Date(receivedAt.getTime() + uniform() * DAY_MS).toISOString();
        if (pick < 0.11) {
          const reason = 'The PO does not match the quote.';
          events.push([
            stream,
            2,
            'purchase-order.rejected.v1',
            { purchaseOrderId, by: manager, at, reason },
            meta(false),
          ]);
          Object.assign(view, { status: 'rejected', decidedAt: at, rejectionReason: reason });
          view.history.push({ action: 'rejected', by: manager, at, reason });
        } else {
          events.push([
            stream,
            2,
            'purchase-order.approved.v1',
            { purchaseOrderId, by: manager, at, reason: null },
            meta(false),
          ]);
          events.push([
            stream,
            3,
            'purchase.recorded.v1',
            {
              purchaseId: purchaseOrderId,
              channel: 'purchase-order',
              externalRef: poNumber,
              resellerId: null,
              customer: { ...customer },
              items: items.map((line, index) => ({
                itemId: itemIdFor(purchaseOrderId, index),
                sku: line.sku,
                quantity: line.quantity,
                unitPrice: line.unitPrice,
              })),
              currency,
              total,
              recordedAt: at,
            },
            meta(true),
          ]);
          Object.assign(view, { status: 'approved', purchaseId: purchaseOrderId, decidedAt: at });
          view.history.push({ action: 'approved', by: manager, at, reason: null });
          if (pick >= 0.96) {
            const refundedAt = new Date(Date.parse(at) + uniform() * 30 * DAY_MS);
            const refundAt = new Date(Math.min(now, refundedAt.getTime())).toISOString();
            const reason = 'Cancelled by the buyer.';
            events.push([
              stream,
              4,
              'purchase-order.refunded.v1',
              { purchaseOrderId, by: manager, at: refundAt, reason },
              meta(false),
            ]);
            events.push([
              stream,
              5,
              'purchase.refunded.v1',
              {
                purchaseId: purchaseOrderId,
                channel: 'purchase-order',
                externalRef: poNumber,
                refundedAt: refundAt,
                reason,
              },
              meta(true),
            ]);
            Object.assign(view, { status: 'refunded', refundReason: reason });
            view.history.push({ action: 'refunded', by: manager, at: refundAt, reason });
          }
        }
      }
      orders.push([
        purchaseOrderId,
        poNumber,
        customer.email.toLowerCase(),
        view.status,
        received.receivedAt,
        received.dueBy,
        view,
      ]);
      documents.push([purchaseOrderId, received.document.filename, received.receivedAt]);
      if (view.status !== 'rejected') claims.push([customer.email.toLowerCase(), poNumber, purchaseOrderId]);
    }
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO es_events (stream_id, stream_position, event_id, type, schema_version, data, metadata)
         SELECT e->>0, (e->>1)::bigint, gen_random_uuid(), e->>2, 1, e->3, e->4 FROM jsonb_array_elements($1::jsonb) AS e`,
        [JSON.stringify(events)],
      );
      await client.query(
        `INSERT INTO purchase_orders (purchase_order_id, po_number, customer_key, status, received_at, due_by, view)
         SELECT (e->>0)::uuid, e->>1, e->>2, e->>3, (e->>4)::timestamptz, (e->>5)::timestamptz, e->6
         FROM jsonb_array_elements($1::jsonb) AS e`,
        [JSON.stringify(orders)],
      );
      await client.query(
        `INSERT INTO po_documents (purchase_order_id, filename, content_type, size, sha256, content, stored_at)
         SELECT (e->>0)::uuid, e->>1, 'application/pdf', $2, $3, $4::bytea, (e->>2)::timestamptz
         FROM jsonb_array_elements($1::jsonb) AS e`,
        [JSON.stringify(documents), SMALL_PDF.length, sha256, contentHex],
      );
      await client.query(
        `INSERT INTO po_number_claims (customer_key, po_number, purchase_order_id)
         SELECT e->>0, e->>1, (e->>2)::uuid FROM jsonb_array_elements($1::jsonb) AS e`,
        [JSON.stringify(claims)],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }
  // The seeded history was published long ago as far as the forwarder is concerned.
  await pool.query(
    `INSERT INTO es_checkpoints (name, transaction_id, global_position, updated_at)
     SELECT 'po-intake.forwarder', transaction_id, global_position, now() FROM es_events
     ORDER BY transaction_id DESC, global_position DESC LIMIT 1
     ON CONFLICT (name) DO UPDATE SET transaction_id = EXCLUDED.transaction_id,
       global_position = EXCLUDED.global_position, updated_at = now()`,
  );
}
