#!/usr/bin/env node
// Store webhook throughput and latency, against a bare HTTP server's ceiling on the same machine.
//
//   npm run bench:store-webhook [-- --rates 250,500,1000,2000 --seconds 8 --compare-root DIR]
//
// Starts its own Postgres, Kafka and MailDev on bench ports (throwaway data), builds and starts the
// store-webhook and the ceiling: a bare Fastify handler that stores each body with one INSERT
// committed on its own (insert-ceiling-server.mjs). For each arrival rate it drives the same signed
// order.completed deliveries in an open model against the ceiling, then the service (then the
// build under --compare-root, if given), and reports accepted/s, answer latency, the delay from the
// 202 to the event on Kafka and the CPU each of this run's processes used. Prints a Markdown table
// for tools/bench/README.md.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { build } from '../stack/bootstrap.mjs';
import {
  cpuOfOwnProcesses,
  fmt,
  insertCeiling,
  machineCpu,
  newWebhookSecret,
  openLoad,
  percentile,
  storeOrders,
  startBenchInfra,
  startService,
} from './lib.mjs';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '500,1000,1500,2000,3000,4000,5000' },
    seconds: { type: 'string', default: '10' },
    'ceiling-seconds': { type: 'string', default: '5' },
    // A second store-webhook from another build (a directory with dist/out-tsc,
    // tools/runtime/register-aliases.cjs, tsconfig.base.json and node_modules), measured at
    // every rate beside this checkout's: a change against its baseline under the same load.
    'compare-root': { type: 'string' },
  },
});
const rates = values.rates.split(',').map(Number);
const seconds = Number(values.seconds);

if (!process.env.BENCH_SKIP_BUILD) await build();
const infra = await startBenchInfra();
let service;
let consumer;
let stopCeiling;
let compared;
try {
  await infra.topics(['purchases.v1', 'purchases.v1.dlq']);
  // For reference only: what Postgres commits with no HTTP in front of it (0 s skips it).
  let rawCeiling;
  if (Number(values['ceiling-seconds']) > 0) {
    console.log(`\nRaw INSERT + COMMIT from 32 pg clients, ${values['ceiling-seconds']} s ...`);
    rawCeiling = await insertCeiling(await infra.database('bench_ceiling'), {
      clients: 32,
      seconds: Number(values['ceiling-seconds']),
    });
    console.log(`  ${fmt(rawCeiling, 0)} commits/s`);
  }

  const secret = newWebhookSecret();
  const serviceEnv = async (database) => ({
    DATABASE_URL: await infra.database(database),
    KAFKA_BROKERS: process.env.BENCH_SERVICE_KAFKA ?? infra.brokers,
    STORE_WEBHOOK_SECRET: secret,
    DATABASE_POOL_SIZE: '32',
    NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? '',
  });
  service = await startService('store-webhook', 3191, await serviceEnv('store_webhook'));
  const targets = [{ label: 'store-webhook', service, rows: [] }];
  if (values['compare-root']) {
    compared = await startService(
      'store-webhook',
      3193,
      await serviceEnv('store_webhook_compared'),
      [],
      values['compare-root'],
    );
    targets.push({ label: `store-webhook (${values['compare-root']})`, service: compared, rows: [] });
  }

  // When each purchase reached Kafka.
  const arrivals = new Map();
  const kafka = new kafkajs.Kafka({
    clientId: 'bench',
    brokers: [infra.brokers],
    logLevel: kafkajs.logLevel.NOTHING,
  });
  consumer = kafka.consumer({ groupId: `bench-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: ['purchases.v1'], fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ message }) => void arrivals.set(message.key.toString(), Date.now()),
  });
  await sleep(2000);

  const makeDelivery = (run, timestamp) =>
    storeOrders({ secret, run, timestamp, buyer: (i) => `buyer${i}@example.com` });
  // Warm-up (not measured): lets V8 optimise the hot paths and the pools fill.
  process.stdout.write('\nWarm-up: 300/s for 5 s (not measured) ... ');
  for (const target of targets)
    await openLoad({
      url: target.service.url,
      rate: 300,
      seconds: 5,
      make: makeDelivery(`warm-${randomUUID().slice(0, 8)}`, Math.floor(Date.now() / 1000) + 30),
    });
  await sleep(2000);
  console.log('done');

  /** A step against one store-webhook, with the delay of each accepted purchase to Kafka. */
  async function measureService(target, rate) {
    const serverBefore = await serverTime(target.url);
    const measured = await step(target.url, target.pid, rate);
    const serverAfter = await serverTime(target.url);
    const acceptedAt = new Map(
      measured.accepted.map((result) => [JSON.parse(result.body).purchaseId, result.at]),
    );
    const deadline = Date.now() + 60_000;
    while ([...acceptedAt.keys()].some((id) => !arrivals.has(id)) && Date.now() < deadline) await sleep(100);
    const toKafka = [...acceptedAt]
      .filter(([id]) => arrivals.has(id))
      .map(([id, at]) => Math.max(0, arrivals.get(id) - at));
    const { results: _results, accepted, ...rest } = measured;
    return {
      ...rest,
      accepted: accepted.length,
      kafkaP50: percentile(toKafka, 50),
      kafkaP99: percentile(toKafka, 99),
      missingOnKafka: acceptedAt.size - toKafka.length,
      serverMeanMs:
        (1000 * (serverAfter.sum - serverBefore.sum)) / Math.max(1, serverAfter.count - serverBefore.count),
    };
  }

  const ceilingServer = await startCeilingServer(3192, await infra.database('bench_http_ceiling'));
  stopCeiling = ceilingServer.stop;
  // Warm-up of the ceiling server too, so both meet the ladder with optimised code and full pools.
  await openLoad({
    url: ceilingServer.url,
    rate: 300,
    seconds: 5,
    make: makeDelivery(`warm-${randomUUID().slice(0, 8)}`, Math.floor(Date.now() / 1000) + 30),
  });
  await sleep(1000);

  /**
   * One step of the open model against `url`. CPU counts only this run's processes (`service` is
   * the process `pid`), not other sessions' on the same machine.
   */
  async function step(url, pid, rate) {
    const run = randomUUID().slice(0, 8);
    const timestamp = Math.floor(Date.now() / 1000) + 30;
    const cpuBefore = await cpuOfOwnProcesses({ service: pid });
    const machineBefore = await machineCpu();
    const { results, elapsedMs } = await openLoad({ url, rate, seconds, make: makeDelivery(run, timestamp) });
    const cpuAfter = await cpuOfOwnProcesses({ service: pid });
    const machineAfter = await machineCpu();
    const accepted = results.filter((result) => result.status === 202);
    const latencies = results.map((result) => result.latencyMs);
    return {
      rate,
      results,
      accepted,
      sent: results.length,
      failed: results.length - accepted.length,
      acceptedPerSecond: accepted.length / (elapsedMs / 1000),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      // Share of the machine's busy CPU that was this run's (the rest: other sessions).
      ours:
        Object.values(cpuAfter).reduce((sum, ms, i) => sum + ms - Object.values(cpuBefore)[i], 0) /
        Math.max(1, machineAfter.busy - machineBefore.busy),
      machineBusy:
        (machineAfter.busy - machineBefore.busy) / Math.max(1, machineAfter.total - machineBefore.total),
      cpuPerRequest: Object.fromEntries(
        Object.keys(cpuAfter).map((key) => [key, (cpuAfter[key] - cpuBefore[key]) / results.length]),
      ),
    };
  }

  // Each rate runs against the ceiling server, then against the service (and the compared build),
  // so all meet the same machine (other sessions' load included) within seconds of each other.
  const ceilingRows = [];
  for (const rate of rates) {
    process.stdout.write(`\n${rate}/s for ${seconds} s, Fastify INSERT ceiling ... `);
    const {
      results: _ceilingResults,
      accepted: ceilingAccepted,
      ...ceilingRest
    } = await step(ceilingServer.url, ceilingServer.pid, rate);
    const ceilingRow = { ...ceilingRest, accepted: ceilingAccepted.length };
    ceilingRows.push(ceilingRow);
    console.log(
      `accepted ${ceilingRow.accepted}/${ceilingRow.sent} (${fmt(ceilingRow.acceptedPerSecond, 0)}/s), answer p50 ${fmt(ceilingRow.p50)} ms p99 ${fmt(ceilingRow.p99)} ms`,
    );
    await sleep(2000);

    for (const target of targets) {
      process.stdout.write(`${rate}/s for ${seconds} s, ${target.label} ... `);
      const row = await measureService(target.service, rate);
      target.rows.push(row);
      console.log(
        `accepted ${row.accepted}/${row.sent} (${fmt(row.acceptedPerSecond, 0)}/s), answer p50 ${fmt(row.p50)} ms p99 ${fmt(row.p99)} ms, ` +
          `202→Kafka p50 ${fmt(row.kafkaP50)} ms p99 ${fmt(row.kafkaP99)} ms, server-side mean ${fmt(row.serverMeanMs)} ms${row.missingOnKafka ? `, ${row.missingOnKafka} not on Kafka after 60 s` : ''}`,
      );
      await sleep(2000);
    }
  }

  const answersInTime = (row) => row.failed === 0 && row.p99 < 50;
  const bestCeiling = ceilingRows.filter(answersInTime).at(-1);
  console.log(
    `\nMachine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`,
  );
  if (rawCeiling !== undefined)
    console.log(`Raw INSERT + COMMIT from 32 pg clients: ${fmt(rawCeiling, 0)}/s`);
  console.log(
    '\n| arrival rate /s | server | accepted/s | answer p50 ms | answer p99 ms | 202→Kafka p50 ms | 202→Kafka p99 ms | CPU ms/request: server, postgres, kafka, load generator | machine busy (ours) |',
  );
  console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |');
  const line = (label, row) => {
    const cpu = row.cpuPerRequest;
    const rate = row.failed
      ? `${fmt(row.acceptedPerSecond, 0)} (${row.failed} failed)`
      : fmt(row.acceptedPerSecond, 0);
    console.log(
      `| ${row.rate} | ${label} | ${rate} | ${fmt(row.p50)} | ${fmt(row.p99)} | ${fmt(row.kafkaP50)} | ${fmt(row.kafkaP99)} | ` +
        `${fmt(cpu.service, 2)}, ${fmt(cpu.postgres, 2)}, ${fmt(cpu.kafka, 2)}, ${fmt(cpu.generator, 2)} | ` +
        `${fmt(100 * row.machineBusy, 0)}% (${fmt(100 * row.ours, 0)}%) |`,
    );
  };
  ceilingRows.forEach((ceilingRow, i) => {
    line('Fastify INSERT ceiling', ceilingRow);
    for (const target of targets) line(target.label, target.rows[i]);
  });
  const ceilingFigure = bestCeiling?.acceptedPerSecond;
  const share = (row) =>
    row && ceilingFigure ? ` = ${fmt((100 * row.acceptedPerSecond) / ceilingFigure, 0)}% of the ceiling` : '';
  console.log(
    `\nFastify INSERT ceiling, highest rate with p99 < 50 ms: ${bestCeiling ? `${fmt(ceilingFigure, 0)}/s` : 'none'}` +
      `${bestCeiling && bestCeiling === ceilingRows.at(-1) ? ' (the top of the ladder: raise --rates to find the real ceiling)' : ''}`,
  );
  for (const target of targets) {
    const best = target.rows.filter(answersInTime).at(-1);
    const bestWithKafka = target.rows
      .filter((row) => answersInTime(row) && row.kafkaP99 < 250 && row.missingOnKafka === 0)
      .at(-1);
    console.log(
      `${target.label}, highest rate with p99 < 50 ms: ${best ? `${fmt(best.acceptedPerSecond, 0)}/s${share(best)}` : 'none'} (goal: 50%); ` +
        `also with 202→Kafka p99 < 250 ms: ${bestWithKafka ? `${fmt(bestWithKafka.acceptedPerSecond, 0)}/s${share(bestWithKafka)}` : 'none'}`,
    );
  }
} finally {
  await consumer?.disconnect().catch(() => undefined);
  await service?.stop();
  await compared?.stop();
  await stopCeiling?.();
  await infra.stop();
}

/** Sum and count of the service's own request-duration histogram for the webhook route. */
async function serverTime(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const pick = (name) =>
    Number(
      new RegExp(`^${name}\\{[^}]*route="/v1/webhooks/store"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0,
    );
  return {
    sum: pick('http_request_duration_seconds_sum'),
    count: pick('http_request_duration_seconds_count'),
  };
}

/** The bare Fastify INSERT server (insert-ceiling-server.mjs) as its own process, like the service. */
async function startCeilingServer(port, databaseUrl) {
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL('./insert-ceiling-server.mjs', import.meta.url))],
    {
      env: { ...process.env, DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: '32', PORT: String(port) },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the ceiling server exited with ${code}`)));
    child.stdout.on('data', (chunk) => String(chunk).includes('ready') && resolve());
  });
  child.removeAllListeners('exit');
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    stop: () =>
      child.exitCode !== null
        ? Promise.resolve()
        : new Promise((done) => (child.once('exit', done), child.kill('SIGTERM'))),
  };
}
