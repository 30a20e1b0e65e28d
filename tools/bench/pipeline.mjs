#!/usr/bin/env node
// The whole pipeline: new buyers through the store at fixed rates until each item is visible, the CPU
// every process spends per purchase, and the memory (RSS) of every service at rest and under load.
//
//   npm run bench:pipeline [-- --rates 100,200,300,500 --seconds 20 --settle 20]
//
// Runs every service of tools/stack/services.mjs on its own Postgres and Kafka (the fault suite's
// stack, tools/chaos/stack.mjs), with their mail going to an SMTP sink (smtp-sink.mjs) that accepts
// and drops it. It reads each service's RSS after --settle seconds of rest, once right after start-up
// and once after a warm-up of 500 purchases. Then, per rate, signed
// store orders, each by a buyer the platform has never seen (so the account service creates an
// account and mails a set-password link for every one), in an open model for --seconds, and waits
// until every accepted purchase's licence item is committed. "Visible" is the license service's
// transaction that records the item: it writes the row GET /v1/license-items reads in the same
// transaction (its time is `recorded_at` of `license.item-recorded` in es_events). Between rates
// the platform rests for 5 s.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { build, repoRoot } from '../stack/bootstrap.mjs';
import { stackDir, startChaosStack } from '../chaos/stack.mjs';
import { cpuOfOwnProcesses, eventTimes, fmt, openLoad, percentile, storeOrders } from './lib.mjs';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '100,200,300,500' },
    seconds: { type: 'string', default: '20' },
    settle: { type: 'string', default: '20' },
  },
});
const rates = values.rates.split(',').map(Number);
const seconds = Number(values.seconds);

/** VmRSS and VmHWM (peak) of a process in MB, from /proc. */
function memoryOf(/** @type {number} */ pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (/** @type {string} */ field) =>
      Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return { rss: NaN, peak: NaN };
  }
}

async function startSink() {
  const child = spawn(process.execPath, [join(repoRoot, 'tools/bench/smtp-sink.mjs'), '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: /** @type {import('node:stream').Readable} */ (child.stdout) });
  const port = await new Promise((resolve) =>
    lines.once('line', (line) => resolve(Number(line.split(' ')[1]))),
  );
  return {
    url: `smtp://127.0.0.1:${port}`,
    kill: () => child.exitCode === null && child.kill('SIGKILL'),
    /** @returns {Promise<number>} messages received */
    stop: () =>
      new Promise((resolve) => {
        lines.once('line', (line) => resolve(Number(line.split(' ')[1])));
        child.kill('SIGTERM');
      }),
  };
}

if (!process.env.BENCH_SKIP_BUILD) await build();
const dir = stackDir('otl-pipeline-');
const sink = await startSink();
const stack = await startChaosStack({
  dir,
  log: (message) => console.log(message),
  env: { SMTP_URL: sink.url },
});
try {
  const pids = () =>
    Object.fromEntries(
      [...stack.processes.values()].map((service) => [
        service.name,
        /** @type {number} */ (service.child?.pid),
      ]),
    );
  const names = [...stack.processes.keys()];
  const licenseDb = new pg.Pool({ connectionString: stack.databaseUrl('license'), max: 2 });
  const accountDb = new pg.Pool({ connectionString: stack.databaseUrl('account'), max: 2 });
  const run = randomUUID().slice(0, 8);
  const secret = stack.secrets.STORE_WEBHOOK_SECRET;
  const storeUrl = stack.urls['store-webhook'];
  /** @param {string} tag */
  const orders = (tag) =>
    storeOrders({
      secret,
      run: `${run}-${tag}`,
      timestamp: Math.floor(Date.now() / 1000) + 30,
      buyer: (i) => `new-${run}-${tag}-${i}@pipeline.example`,
    });

  await sleep(Number(values.settle) * 1000);
  const fresh = Object.fromEntries(Object.entries(pids()).map(([name, pid]) => [name, memoryOf(pid).rss]));
  console.log('\nWarm-up: 50 new buyers/s for 10 s (not measured)');
  const warm = await openLoad({ url: storeUrl, rate: 50, seconds: 10, make: orders('warm') });
  const warmIds = warm.results.filter((r) => r.status === 202).map((r) => JSON.parse(r.body).purchaseId);
  await eventTimes(licenseDb, 'license.item-recorded', warmIds, 120_000);
  console.log(`Resting ${values.settle} s`);
  await sleep(Number(values.settle) * 1000);
  const atRest = Object.fromEntries(Object.entries(pids()).map(([name, pid]) => [name, memoryOf(pid).rss]));

  const rows = [];
  for (const rate of rates) {
    process.stdout.write(`${rate} new buyers/s for ${seconds} s ... `);
    const servicePids = pids();
    /** @type {Record<string, number>} */
    const peakRss = Object.fromEntries(names.map((name) => [name, 0]));
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const [name, pid] of Object.entries(servicePids))
          peakRss[name] = Math.max(peakRss[name] ?? 0, memoryOf(pid).rss || 0);
        await sleep(500);
      }
    })();
    const before = await cpuOfOwnProcesses(servicePids);
    const started = Date.now();
    const { results } = await openLoad({ url: storeUrl, rate, seconds, make: orders(`r${rate}`) });
    const accepted = new Map(
      results.filter((r) => r.status === 202).map((r) => [JSON.parse(r.body).purchaseId, r.at]),
    );
    const visible = await eventTimes(licenseDb, 'license.item-recorded', [...accepted.keys()], 120_000);
    const drainedAfter = (Date.now() - started) / 1000;
    const after = await cpuOfOwnProcesses(servicePids);
    sampling = false;
    await sampler;
    const delays = [...accepted]
      .filter(([id]) => visible.has(id))
      .map(([id, at]) => Math.max(0, /** @type {number} */ (visible.get(id)) - at));
    // Where the time goes: 202 → the account service assigns it → the license service records the item.
    const assigned = await eventTimes(accountDb, 'purchase.assigned.v1', [...accepted.keys()], 0);
    const toAssigned = [...accepted]
      .filter(([id]) => assigned.has(id))
      .map(([id, at]) => Math.max(0, /** @type {number} */ (assigned.get(id)) - at));
    const toVisible = [...assigned]
      .filter(([id]) => visible.has(id))
      .map(([id, at]) => Math.max(0, /** @type {number} */ (visible.get(id)) - at));
    /** @type {Record<string, number>} */
    const cpuPerPurchase = {};
    for (const key of Object.keys(after))
      cpuPerPurchase[key] = ((after[key] ?? 0) - (before[key] ?? 0)) / Math.max(1, accepted.size);
    const row = {
      rate,
      sent: results.length,
      accepted: accepted.size,
      visible: visible.size,
      p50: percentile(delays, 50),
      p99: percentile(delays, 99),
      max: delays.length ? Math.max(...delays) : NaN,
      assignedP50: percentile(toAssigned, 50),
      assignedP99: percentile(toAssigned, 99),
      itemP50: percentile(toVisible, 50),
      itemP99: percentile(toVisible, 99),
      drainedAfter,
      cpuPerPurchase,
      peakRss,
      load: loadavg()[0],
    };
    rows.push(row);
    console.log(
      `accepted ${row.accepted}/${row.sent}, visible ${row.visible}; 202→visible p50 ${fmt(row.p50, 0)} ms, p99 ${fmt(row.p99, 0)} ms` +
        ` (202→assigned p50 ${fmt(row.assignedP50, 0)}, p99 ${fmt(row.assignedP99, 0)}; assigned→item p50 ${fmt(row.itemP50, 0)}, p99 ${fmt(row.itemP99, 0)})`,
    );
    await sleep(5000);
  }
  const { rows: outbox } = await accountDb.query(
    'SELECT count(*) FILTER (WHERE sent_at IS NULL)::int AS pending, count(*)::int AS total FROM account_mail_outbox',
  );
  const mails = await sink.stop();

  const components = [...names, 'postgres', 'kafka', 'generator', 'other'];
  console.log(`\n=== The whole pipeline (load average at the end ${fmt(loadavg()[0], 2)}) ===`);
  console.log(
    '| new buyers/s | accepted | visible | 202→visible p50 ms | p99 ms | max ms | CPU ms per purchase: ' +
      components.join(', ') +
      ' | total |',
  );
  console.log(`| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |`);
  for (const row of rows) {
    const cpu = components.map((key) => fmt(row.cpuPerPurchase[key] ?? 0, 2));
    const total = components.reduce((sum, key) => sum + (row.cpuPerPurchase[key] ?? 0), 0);
    console.log(
      `| ${row.rate} | ${row.accepted}/${row.sent} | ${row.visible} | ${fmt(row.p50, 0)} | ${fmt(row.p99, 0)} | ${fmt(row.max, 0)} | ${cpu.join(', ')} | ${fmt(total, 2)} |`,
    );
  }
  const best = rows.filter((row) => row.visible === row.accepted && row.p99 < 1000).map((row) => row.rate);
  console.log('\n| new buyers/s | 202→assigned p50 ms | p99 ms | assigned→item p50 ms | p99 ms |');
  console.log('| ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows)
    console.log(
      `| ${row.rate} | ${fmt(row.assignedP50, 0)} | ${fmt(row.assignedP99, 0)} | ${fmt(row.itemP50, 0)} | ${fmt(row.itemP99, 0)} |`,
    );
  console.log(
    `\nHighest rate with every item visible and p99 under 1 s: ${best.length ? Math.max(...best) : 'none'} new buyers/s (goal 500/s).`,
  );
  console.log(
    `Mails: the sink received ${mails}; account's outbox holds ${outbox[0]?.total} (one set-password link per new buyer), ${outbox[0]?.pending} not sent yet.`,
  );
  console.log('\n=== RSS per service, MB ===');
  console.log(
    `| service | started, at rest | after the warm-up, at rest | peak under load (${rates.join(', ')}/s) |`,
  );
  console.log('| --- | ---: | ---: | ---: |');
  for (const name of names) {
    const peak = Math.max(...rows.map((row) => row.peakRss[name] ?? 0));
    console.log(
      `| ${name} | ${fmt(fresh[name] ?? NaN, 0)} | ${fmt(atRest[name] ?? NaN, 0)} | ${fmt(peak, 0)} |`,
    );
  }
  await Promise.all([licenseDb.end(), accountDb.end()]);
} finally {
  sink.kill();
  await stack.stop();
  rmSync(dir, { recursive: true, force: true });
}
