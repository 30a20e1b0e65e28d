#!/usr/bin/env node
// reseller-intake: sustained orders/s from 8 resellers with p99 < 50 ms, the cost of replays, and
// the default rate limit.
//
//   npm run bench:reseller-intake [-- --rates 100,200,300,400,500,600 --seconds 15 --replays 2000]
//
// Starts its own Postgres, Kafka and MailDev on bench ports (throwaway data), then account, license
// and reseller-intake (one instance each; account and license consume every purchase, as in the
// stack). Tracking is not started: it consumes only licence events, which orders do not make.
//  1. Default limit: one key at --limit-rate for --limit-seconds against the service as configured
//     by default (RESELLER_RATE_LIMIT unset): 201s, 429s with retry-after, the RateLimit headers.
//  2. Restarts reseller-intake with RESELLER_RATE_LIMIT=--rate-limit (raised, so the limit does not
//     cap the load), warms up, then for each --rates step sends orders in an open model (lib.mjs
//     openLoad: order i is sent at start + i / rate whatever happened to earlier ones, and its latency
//     counts from that scheduled moment: no coordinated omission), round robin over 8 resellers with
//     a key each. After each step it waits until every accepted order has its licence items recorded
//     in license (the end of the pipeline), so each step starts from a drained stack.
//  3. Replays --replays of the accepted orders (same key, same Idempotency-Key, same body) at
//     --replay-rate: latency, and each must answer 201 with the first body, Location and
//     `Idempotent-Replayed: true`.
import { randomUUID, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { build, repoRoot } from '../stack/bootstrap.mjs';
import { createResellerKey } from '../stack/reseller-keys.mjs';
import {
  cpuOfOwnProcesses,
  fmt,
  machineCpu,
  openLoad,
  percentile,
  startBenchInfra,
  startService,
} from './lib.mjs';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '100,200,300,400,500,600' },
    seconds: { type: 'string', default: '15' },
    resellers: { type: 'string', default: '8' },
    customers: { type: 'string', default: '2000' },
    'rate-limit': { type: 'string', default: '100000/1' },
    'warmup-rate': { type: 'string', default: '100' },
    'warmup-seconds': { type: 'string', default: '10' },
    replays: { type: 'string', default: '2000' },
    'replay-rate': { type: 'string', default: '200' },
    'limit-rate': { type: 'string', default: '200' },
    'limit-seconds': { type: 'string', default: '3' },
    // The rule of the rate-limit phase; unset = the service's default (100/1).
    'limit-rule': { type: 'string' },
    'drain-seconds': { type: 'string', default: '120' },
  },
});
const RATES = values.rates.split(',').map(Number);
const SECONDS = Number(values.seconds);
const RESELLERS = Number(values.resellers);
const CUSTOMERS = Number(values.customers);
const RAISED_LIMIT = values['rate-limit'];
const ORDERS_PATH = '/v1/reseller/orders';
const ed25519 = () =>
  Buffer.from(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' })).toString(
    'base64',
  );
const machine = () =>
  `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${fmt(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ` +
  `load average ${loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}`;

// Valid SKUs from the catalog licence items are made of; prices are the reseller's own.
const SKUS = JSON.parse(readFileSync(join(repoRoot, 'apps/license/catalog.v1.json'), 'utf8')).skus.map(
  (entry, i) => ({ sku: entry.sku, unitPrice: ['1249.00', '899.50', '2999.99', '45.10'][i % 4] }),
);

/** Order i of a run: reseller i mod 8, 1–3 lines, total = Σ quantity × unitPrice (in cents). */
function orderOf(run, i, resellers) {
  const reseller = resellers[i % resellers.length];
  const lines = 1 + (i % 3);
  const items = Array.from({ length: lines }, (_, line) => ({
    sku: SKUS[(i + line) % SKUS.length].sku,
    quantity: 1 + ((i * 7 + line) % 5),
    unitPrice: SKUS[(i + line) % SKUS.length].unitPrice,
  }));
  const cents = items.reduce(
    (sum, item) => sum + item.quantity * Math.round(Number(item.unitPrice) * 100),
    0,
  );
  const customer = Math.floor(i / resellers.length) % Math.max(1, Math.floor(CUSTOMERS / resellers.length));
  const body = JSON.stringify({
    resellerOrderRef: `R-${run}-${i}`,
    customer: {
      email: `buyer.${customer}@customer-of-${reseller.name}.example`,
      name: `Buyer ${customer}`,
      company: i % 4 === 0 ? undefined : `Customer ${customer} of ${reseller.name}`,
    },
    items,
    currency: i % 3 === 0 ? 'EUR' : 'USD',
    total: (cents / 100).toFixed(2),
  });
  return {
    path: ORDERS_PATH,
    body,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${reseller.key}`,
      'idempotency-key': `bench-${run}-${i}-${randomUUID()}`,
    },
  };
}

/** Status → count, for the statuses other than `ok`. */
const errorsOf = (results, ok = 201) => {
  const counts = {};
  for (const { status } of results) if (status !== ok) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
};
const showErrors = (counts) =>
  Object.keys(counts).length === 0
    ? 'none'
    : Object.entries(counts)
        .map(([status, n]) => `${n}×${status === '0' ? 'network' : status}`)
        .join(', ');

if (!process.env.BENCH_SKIP_BUILD) await build();
const startLoad = machine();
const infra = await startBenchInfra();
const services = [];
let reseller;
let licenseDb;
let resellerDb;
try {
  await infra.topics(['purchases.v1', 'accounts.v1', 'licenses.v1'].flatMap((t) => [t, `${t}.dlq`]));
  const account = await startService('account', 3194, {
    DATABASE_URL: await infra.database('account'),
    KAFKA_BROKERS: infra.brokers,
    SMTP_URL: infra.smtpUrl,
    ACCESS_TOKEN_SIGNING_KEY: ed25519(),
  });
  services.push(account);
  const licenseUrl = await infra.database('license');
  const license = await startService('license', 3195, {
    DATABASE_URL: licenseUrl,
    KAFKA_BROKERS: infra.brokers,
    LICENSE_SIGNING_KEY: ed25519(),
    ACCESS_TOKEN_JWKS_URL: `${account.url}/.well-known/jwks.json`,
  });
  services.push(license);
  licenseDb = new pg.Pool({ connectionString: licenseUrl, max: 2 });
  const resellerDbUrl = await infra.database('reseller_intake');
  resellerDb = new pg.Pool({ connectionString: resellerDbUrl, max: 1 });
  const resellerEnv = {
    DATABASE_URL: resellerDbUrl,
    KAFKA_BROKERS: infra.brokers,
    NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? '',
  };
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const startReseller = (env) => startService('reseller-intake', 3193, { ...resellerEnv, ...env }, nodeArgs);
  const limitRule = values['limit-rule'];
  reseller = await startReseller(limitRule ? { RESELLER_RATE_LIMIT: limitRule } : {});

  const run = randomUUID().slice(0, 8);
  const resellers = [];
  for (let i = 1; i <= RESELLERS; i++) {
    const name = `bench-reseller-${run}-${i}`;
    resellers.push({ name, ...(await createResellerKey({ databaseUrl: resellerDbUrl, reseller: name })) });
  }
  const limited = await createResellerKey({ databaseUrl: resellerDbUrl, reseller: `bench-limited-${run}` });
  console.log(`\n${RESELLERS} resellers with a key each, and one more for the rate-limit phase`);

  // 1. The default limit, one key.
  const limitRate = Number(values['limit-rate']);
  const limitSeconds = Number(values['limit-seconds']);
  console.log(
    `\n${limitRule ? `Rate limit RESELLER_RATE_LIMIT=${limitRule}` : 'Default rate limit (RESELLER_RATE_LIMIT unset)'}: one key at ${limitRate}/s for ${limitSeconds} s`,
  );
  const limitRun = await openLoad({
    url: reseller.url,
    rate: limitRate,
    seconds: limitSeconds,
    make: (i) => orderOf(`limit-${run}`, i, [{ name: 'limited', key: limited.key }]),
  });
  const limit = rateLimitReport(limitRun, limitRate);
  await reseller.stop();
  reseller = undefined;

  // 2. Steps, with the limit raised.
  console.log(
    `\nreseller-intake restarted with RESELLER_RATE_LIMIT=${RAISED_LIMIT} (raised for the benchmark, so that ` +
      `${RESELLERS} keys can carry the load; the default is 100/1 per key)`,
  );
  reseller = await startReseller({ RESELLER_RATE_LIMIT: RAISED_LIMIT });
  const pids = { 'reseller-intake': reseller.pid, account: account.pid, license: license.pid };

  const warmupRate = Number(values['warmup-rate']);
  process.stdout.write(
    `\nWarm-up: ${warmupRate}/s for ${values['warmup-seconds']} s (not measured; makes most customers' accounts) ... `,
  );
  const warm = await openLoad({
    url: reseller.url,
    rate: warmupRate,
    seconds: Number(values['warmup-seconds']),
    make: (i) => orderOf(`warm-${run}`, i, resellers),
  });
  const warmAccepted = warm.results.filter((r) => r.status === 201).map((r) => JSON.parse(r.body).purchaseId);
  const warmDrain = await drained(warmAccepted, Number(values['drain-seconds']));
  console.log(
    `${warmAccepted.length}/${warm.results.length} 201 (errors: ${showErrors(errorsOf(warm.results))}), licence items for all ${warmDrain.missing ? `but ${warmDrain.missing}` : ''} after ${fmt(warmDrain.seconds)} s`,
  );

  const rows = [];
  const placed = []; // { request, result } of every accepted order, for the replays
  for (const [step, rate] of RATES.entries()) {
    process.stdout.write(`\n${rate}/s for ${SECONDS} s (${fmt(rate / RESELLERS)}/s per reseller) ... `);
    const stepRun = `${run}-s${step}`;
    const requests = [];
    const make = (i) => (requests[i] = orderOf(stepRun, i, resellers));
    const cpu0 = await cpuOfOwnProcesses(pids, { postgresByDatabase: true });
    const machine0 = await machineCpu();
    const { results, elapsedMs } = await openLoad({ url: reseller.url, rate, seconds: SECONDS, make });
    const cpu1 = await cpuOfOwnProcesses(pids, { postgresByDatabase: true });
    const machine1 = await machineCpu();
    for (const [name, service] of Object.entries({ 'reseller-intake': reseller, account, license })) {
      const ended = service.exited();
      if (ended)
        throw new Error(
          `${name} ended during the ${rate}/s step (exit code ${ended.code}, signal ${ended.signal}); ` +
            `the step: ${showErrors(errorsOf(results))} of ${results.length}`,
        );
    }
    const accepted = [];
    const malformed = [];
    results.forEach((result, i) => {
      if (result.status !== 201) return;
      const body = JSON.parse(result.body);
      if (
        typeof body.orderId !== 'string' ||
        typeof body.purchaseId !== 'string' ||
        body.status !== 'recorded' ||
        !result.headers.location ||
        result.headers['idempotent-replayed'] === 'true'
      )
        malformed.push(result);
      else {
        accepted.push(body.purchaseId);
        placed.push({ request: requests[i], result });
      }
    });
    if (malformed.length)
      throw new Error(
        `${malformed.length} first answers were 201 without orderId/purchaseId/status/Location, or marked replayed: ${malformed[0].body} ${JSON.stringify(malformed[0].headers)}`,
      );
    const latencies = results.map((r) => r.latencyMs);
    const { cpu, postgres } = perOrder(cpu0, cpu1, results.length);
    const errors = errorsOf(results);
    const row = {
      rate,
      sent: results.length,
      offered: results.length / SECONDS,
      accepted: accepted.length,
      acceptedPerSecond: accepted.length / (elapsedMs / 1000),
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      max: Math.max(...latencies),
      errors,
      failed: results.length - accepted.length,
      cpu,
      postgres,
      busy: (machine1.busy - machine0.busy) / (machine1.total - machine0.total),
      // This run's processes' share of the machine's CPU time over the step.
      ours:
        (Object.values(cpu).reduce((sum, ms) => sum + ms, 0) * results.length) /
        (machine1.total - machine0.total),
    };
    console.log(
      `${row.accepted}/${row.sent} 201 (${fmt(row.acceptedPerSecond, 0)}/s), p50 ${fmt(row.p50)} ms, p90 ${fmt(row.p90)} ms, ` +
        `p99 ${fmt(row.p99)} ms, max ${fmt(row.max)} ms, errors: ${showErrors(errors)}; machine ${fmt(100 * row.busy, 0)}% busy, ${fmt(100 * row.ours, 0)}% by this run`,
    );
    console.log(`  CPU ms per order: ${showCpu(cpu)}; Postgres by database: ${showCpu(postgres)}`);
    const drain = await drained(accepted, Number(values['drain-seconds']));
    row.drainSeconds = drain.seconds;
    row.missing = drain.missing;
    console.log(
      `  licence items recorded for ${accepted.length - drain.missing}/${accepted.length} orders ` +
        `${fmt(drain.seconds)} s after the step's last answer` +
        (drain.missing ? ` (${drain.missing} still missing after ${values['drain-seconds']} s)` : ''),
    );
    rows.push(row);
    await sleep(2000);
  }

  // 3. Replays.
  const replayRate = Number(values['replay-rate']);
  const sample = spread(placed, Number(values.replays));
  console.log(
    `\nReplays: ${sample.length} of the ${placed.length} accepted orders again (same key, Idempotency-Key and body) at ${replayRate}/s`,
  );
  const recordedPurchases = async () =>
    Number(
      (
        await resellerDb.query(
          "SELECT count(*)::text AS n FROM es_events WHERE type = 'purchase.recorded.v1'",
        )
      ).rows[0].n,
    );
  const recordedBefore = await recordedPurchases();
  const cpu0 = await cpuOfOwnProcesses(pids, { postgresByDatabase: true });
  const replay = await openLoad({
    url: reseller.url,
    rate: replayRate,
    seconds: sample.length / replayRate,
    make: (i) => sample[i].request,
  });
  const cpu1 = await cpuOfOwnProcesses(pids, { postgresByDatabase: true });
  const wrong = replay.results.flatMap((result, i) => {
    const first = sample[i].result;
    const problems = [];
    if (result.status !== 201) problems.push(`status ${result.status}`);
    if (result.body !== first.body) problems.push(`body ${result.body} instead of ${first.body}`);
    if (result.headers['idempotent-replayed'] !== 'true')
      problems.push(`Idempotent-Replayed ${result.headers['idempotent-replayed']}`);
    if (result.headers.location !== first.headers.location)
      problems.push(`Location ${result.headers.location} instead of ${first.headers.location}`);
    return problems.length ? [`replay ${i}: ${problems.join('; ')}`] : [];
  });
  const replayLatencies = replay.results.map((r) => r.latencyMs);
  const { cpu: replayCpu, postgres: replayPostgres } = perOrder(cpu0, cpu1, replay.results.length);
  const replayRow = {
    count: replay.results.length,
    p50: percentile(replayLatencies, 50),
    p90: percentile(replayLatencies, 90),
    p99: percentile(replayLatencies, 99),
    max: Math.max(...replayLatencies),
    cpu: replayCpu,
  };
  console.log(
    `  p50 ${fmt(replayRow.p50)} ms, p90 ${fmt(replayRow.p90)} ms, p99 ${fmt(replayRow.p99)} ms, max ${fmt(replayRow.max)} ms; ` +
      `${replayRow.count - wrong.length}/${replayRow.count} identical with Idempotent-Replayed: true`,
  );
  console.log(`  CPU ms per replay: ${showCpu(replayCpu)}; Postgres by database: ${showCpu(replayPostgres)}`);
  // A replay must not record a second purchase: reseller-intake's count of them is unchanged.
  await sleep(500);
  const recordedAfter = await recordedPurchases();
  // The order's status follows the purchase (purchase.assigned.v1 from account).
  // Waits up to 30 s for each of 50 sampled orders to be `assigned`.
  const statusSample = spread(placed, 50);
  const statusOf = new Map();
  const statusStarted = performance.now();
  for (let pending = statusSample; pending.length > 0 && performance.now() < statusStarted + 30_000;) {
    for (const { request, result } of pending) {
      const answer = await fetch(new URL(result.headers.location, reseller.url), {
        headers: { authorization: request.headers.authorization },
      });
      statusOf.set(result, answer.ok ? (await answer.json()).status : `HTTP ${answer.status}`);
    }
    pending = pending.filter(({ result }) => statusOf.get(result) !== 'assigned');
    if (pending.length > 0) await sleep(1000);
  }
  const statuses = {};
  for (const status of statusOf.values()) statuses[status] = (statuses[status] ?? 0) + 1;
  const statusSeconds = (performance.now() - statusStarted) / 1000;

  // Summary.
  console.log(
    `\nMachine: ${machine()} (at the start: ${startLoad.replace(/.*load average /, 'load average ')})`,
  );
  console.log(
    'Everything on this machine: Kafka, PostgreSQL, MailDev, account, license, reseller-intake and the load generator.',
  );
  console.log(
    `Rate limit raised with RESELLER_RATE_LIMIT=${RAISED_LIMIT}; ${RESELLERS} resellers, round robin; ${CUSTOMERS} customers in all; ` +
      `${SECONDS} s per step; latency from each order's scheduled send time to the end of its answer.`,
  );
  console.log(
    `CPU per order (ms) is each component's CPU time over the step / orders sent; "other" is MailDev and wrappers. ` +
      `"busy" is the whole machine (other sessions' processes included).\n`,
  );
  const components = Object.keys(rows[0]?.cpu ?? {});
  console.log(
    `| offered/s | 201/s | p50 ms | p90 ms | p99 ms | max ms | errors | machine busy (this run) | CPU ms/order: ${components.join(', ')} | items recorded after |`,
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: |');
  for (const row of rows)
    console.log(
      `| ${fmt(row.offered, 0)} | ${fmt(row.acceptedPerSecond, 0)} | ${fmt(row.p50)} | ${fmt(row.p90)} | ${fmt(row.p99)} | ${fmt(row.max)} | ` +
        `${showErrors(row.errors)} | ${fmt(100 * row.busy, 0)}% (${fmt(100 * row.ours, 0)}% ours) | ${components.map((k) => fmt(row.cpu[k], 2)).join(', ')} | ` +
        `${fmt(row.drainSeconds)} s${row.missing ? ` (${row.missing} missing)` : ''} |`,
    );
  const best = rows.filter((row) => row.failed === 0 && row.p99 < 50).at(-1);
  console.log(
    best
      ? `\nSustained with p99 < 50 ms and no errors: ${fmt(best.acceptedPerSecond, 0)} orders/s (the ${best.rate}/s step; goal 500/s: ${best.rate >= 500 ? 'met' : 'not met'}).`
      : '\nNo step met p99 < 50 ms without errors (goal 500/s: not met).',
  );
  console.log(
    `Replays: p50 ${fmt(replayRow.p50)} ms, p99 ${fmt(replayRow.p99)} ms at ${replayRate}/s (goal p99 < 5 ms: ${replayRow.p99 < 5 ? 'met' : 'not met'}).`,
  );
  console.log(
    `${limitRule ? `Limit ${limitRule}` : 'Default limit'}: ${limit.policy ?? 'no RateLimit-Policy'}; ${limit.accepted} × 201 and ${limit.limited} × 429 of ${limit.sent} ` +
      `at ${limitRate}/s on one key; expected about ${fmt(limit.expected, 0)} × 201.`,
  );
  console.log(
    `purchase.recorded.v1 in reseller-intake: ${recordedBefore} before the replays, ${recordedAfter} after.`,
  );
  console.log(
    `Order status, 50 orders sampled at the end (waited ${fmt(statusSeconds)} s for assigned): ${JSON.stringify(statuses)}`,
  );
  const failures = [...wrong, ...limit.problems];
  if (recordedAfter !== recordedBefore)
    failures.push(`the replays recorded ${recordedAfter - recordedBefore} more purchases`);
  if (failures.length) {
    console.error(
      `\nFAILED:\n  ${failures.slice(0, 20).join('\n  ')}${failures.length > 20 ? `\n  … ${failures.length - 20} more` : ''}`,
    );
    process.exitCode = 1;
  }
} finally {
  await licenseDb?.end().catch(() => undefined);
  await resellerDb?.end().catch(() => undefined);
  await reseller?.stop();
  for (const service of services.reverse()) await service.stop();
  await infra.stop();
}

/**
 * Waits until each purchase has its licence items recorded in license (the end of the pipeline:
 * reseller-intake → purchases.v1 → account → accounts.v1 → license).
 */
async function drained(purchaseIds, seconds) {
  const started = performance.now();
  let waiting = [...new Set(purchaseIds)];
  const deadline = started + seconds * 1000;
  while (waiting.length > 0 && performance.now() < deadline) {
    const { rows } = await licenseDb.query(
      `SELECT DISTINCT data->>'purchaseId' AS id FROM es_events
        WHERE type = 'license.item-recorded' AND data->>'purchaseId' = ANY($1::text[])`,
      [waiting],
    );
    const seen = new Set(rows.map((row) => row.id));
    waiting = waiting.filter((id) => !seen.has(id));
    if (waiting.length > 0) await sleep(250);
  }
  return { seconds: (performance.now() - started) / 1000, missing: waiting.length };
}

/** CPU ms per request between two `cpuOfOwnProcesses` readings, and Postgres's split by database. */
function perOrder(before, after, count) {
  const { postgresByDatabase: pgAfter = {}, ...cpuAfter } = after;
  const { postgresByDatabase: pgBefore = {}, ...cpuBefore } = before;
  const per = (a, b) =>
    Object.fromEntries(Object.keys(a).map((k) => [k, (a[k] - (b[k] ?? 0)) / Math.max(1, count)]));
  return { cpu: per(cpuAfter, cpuBefore), postgres: per(pgAfter, pgBefore) };
}

function showCpu(cpu) {
  return Object.entries(cpu)
    .map(([k, ms]) => `${k} ${fmt(ms, 2)}`)
    .join(', ');
}

/** `count` entries spread evenly over `list`. */
function spread(list, count) {
  if (list.length <= count) return list;
  return Array.from({ length: count }, (_, i) => list[Math.floor((i * list.length) / count)]);
}

/** What the default limit did: 201s and 429s, their headers, against GCRA's expectation. */
function rateLimitReport({ results }, rate) {
  const problems = [];
  const accepted = results.filter((r) => r.status === 201);
  const limited = results.filter((r) => r.status === 429);
  const other = errorsOf(results.filter((r) => r.status !== 429));
  const policy = results.find((r) => r.headers['ratelimit-policy'])?.headers['ratelimit-policy'];
  const [, q, w] = /q=(\d+);\s*w=(\d+)/.exec(policy ?? '') ?? [];
  const perSecond = Number(q) / Number(w);
  // GCRA: a burst of q, then q/w per second, over the time the service took to answer them all
  // (longer than the offered seconds when it answers more slowly than they arrive).
  const answeredSeconds =
    (Math.max(...results.map((r) => r.at)) - Math.min(...results.map((r) => r.at - r.latencyMs))) / 1000;
  const expected = Math.min(results.length, Number(q) + perSecond * answeredSeconds);
  const withoutHeaders = [...accepted, ...limited].filter(
    (r) => !r.headers['ratelimit-policy'] || !r.headers.ratelimit,
  );
  const retryAfter = limited.map((r) => Number(r.headers['retry-after']));
  if (!policy) problems.push('no answer carried RateLimit-Policy');
  if (withoutHeaders.length)
    problems.push(`${withoutHeaders.length} 201s or 429s without RateLimit-Policy/RateLimit`);
  if (limited.length === 0)
    problems.push(
      `the limit never answered 429 at ${rate}/s` +
        (results.length / answeredSeconds < perSecond
          ? ` (the service answered ${fmt(results.length / answeredSeconds, 0)}/s, under the limit's ${fmt(perSecond, 0)}/s)`
          : ''),
    );
  if (retryAfter.some((s) => !(s >= 1))) problems.push('a 429 without a positive retry-after');
  if (limited.some((r) => !/rate-limited/.test(r.body)))
    problems.push('a 429 whose body is not rate-limited');
  if (Object.keys(other).length) problems.push(`other answers: ${showErrors(other)}`);
  // The steady part: 201s answered after the first second of answers, per second.
  const firstAnswer = Math.min(...results.map((r) => r.at));
  const late = accepted.filter((r) => r.at >= firstAnswer + 1000).length;
  const steady = late / Math.max(0.001, answeredSeconds - 1);
  console.log(
    `  ${policy ? `RateLimit-Policy: ${policy}` : 'no RateLimit-Policy'}; ${accepted.length} × 201, ${limited.length} × 429 ` +
      `(retry-after ${retryAfter.length ? `${Math.min(...retryAfter)}–${Math.max(...retryAfter)} s` : '-'}), ` +
      `other: ${showErrors(other)}; answered over ${fmt(answeredSeconds)} s; expected about ${fmt(expected, 0)} × 201 (a burst of ${q ?? '?'}, then ${fmt(perSecond, 0)}/s); ` +
      `after the first second ${fmt(steady, 0)} × 201 per second; ` +
      `${accepted.length + limited.length - withoutHeaders.length}/${accepted.length + limited.length} 201s and 429s with RateLimit-Policy and RateLimit`,
  );
  if (Math.abs(accepted.length - expected) > 0.1 * expected + 5)
    problems.push(`${accepted.length} × 201 under the default limit, expected about ${fmt(expected, 0)}`);
  return {
    sent: results.length,
    accepted: accepted.length,
    limited: limited.length,
    expected,
    policy,
    problems,
  };
}
