#!/usr/bin/env node
// Store webhook throughput and latency, against the machine's own Postgres ceiling.
//
//   npm run bench:store-webhook [-- --rates 500,1000,2000,3000 --seconds 10]
//
// Starts its own Postgres, Kafka and MailDev on bench ports (throwaway data), builds and
// starts the store-webhook, then for each arrival rate drives signed order.completed
// deliveries in an open model and reports accepted/s, answer latency and the delay from
// the 202 to the event on Kafka. Prints a Markdown table for tools/bench/README.md.
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { build } from '../stack/bootstrap.mjs';
import {
  cpuByComponent,
  fmt,
  insertCeiling,
  newWebhookSecret,
  openLoad,
  percentile,
  storeOrders,
  startBenchInfra,
  startService,
} from './lib.mjs';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '500,1000,1500,2000,2500,3000' },
    seconds: { type: 'string', default: '10' },
    'ceiling-seconds': { type: 'string', default: '10' },
  },
});
const rates = values.rates.split(',').map(Number);
const seconds = Number(values.seconds);

if (!process.env.BENCH_SKIP_BUILD) await build();
const infra = await startBenchInfra();
let service;
let consumer;
try {
  await infra.topics(['purchases.v1', 'purchases.v1.dlq']);
  const ceilingUrl = await infra.database('bench_ceiling');
  console.log(
    `\nCeiling: single-row INSERT + COMMIT per request, 32 clients, ${values['ceiling-seconds']} s ...`,
  );
  const ceiling = await insertCeiling(ceilingUrl, {
    clients: 32,
    seconds: Number(values['ceiling-seconds']),
  });
  console.log(`  ${fmt(ceiling, 0)} commits/s`);

  const secret = newWebhookSecret();
  service = await startService('store-webhook', 3191, {
    DATABASE_URL: await infra.database('store_webhook'),
    KAFKA_BROKERS: process.env.BENCH_SERVICE_KAFKA ?? infra.brokers,
    STORE_WEBHOOK_SECRET: secret,
    DATABASE_POOL_SIZE: '32',
    NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? '',
  });

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
  await openLoad({
    url: service.url,
    rate: 300,
    seconds: 5,
    make: makeDelivery(`warm-${randomUUID().slice(0, 8)}`, Math.floor(Date.now() / 1000) + 30),
  });
  await sleep(2000);
  console.log('done');

  const rows = [];
  for (const rate of rates) {
    const run = randomUUID().slice(0, 8);
    const timestamp = Math.floor(Date.now() / 1000) + 30;
    process.stdout.write(`\n${rate}/s for ${seconds} s ... `);
    const cpuBefore = await cpuByComponent(service.pid);
    const serverBefore = await serverTime(service.url);
    const { results, elapsedMs } = await openLoad({
      url: service.url,
      rate,
      seconds,
      make: makeDelivery(run, timestamp),
    });
    const accepted = results.filter((result) => result.status === 202);
    const cpuAfter = await cpuByComponent(service.pid);
    const serverAfter = await serverTime(service.url);
    const serverMeanMs =
      (1000 * (serverAfter.sum - serverBefore.sum)) / Math.max(1, serverAfter.count - serverBefore.count);
    const cpuPerRequest = Object.fromEntries(
      Object.keys(cpuAfter).map((key) => [key, (cpuAfter[key] - cpuBefore[key]) / results.length]),
    );
    const latencies = results.map((result) => result.latencyMs);
    const acceptedAt = new Map(accepted.map((result) => [JSON.parse(result.body).purchaseId, result.at]));
    const deadline = Date.now() + 60_000;
    while ([...acceptedAt.keys()].some((id) => !arrivals.has(id)) && Date.now() < deadline) await sleep(100);
    const toKafka = [...acceptedAt]
      .filter(([id]) => arrivals.has(id))
      .map(([id, at]) => Math.max(0, arrivals.get(id) - at));
    const row = {
      rate,
      sent: results.length,
      accepted: accepted.length,
      failed: results.length - accepted.length,
      acceptedPerSecond: accepted.length / (elapsedMs / 1000),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      kafkaP50: percentile(toKafka, 50),
      kafkaP99: percentile(toKafka, 99),
      missingOnKafka: acceptedAt.size - toKafka.length,
      cpuPerRequest,
      serverMeanMs,
    };
    rows.push(row);
    console.log(
      `accepted ${row.accepted}/${row.sent} (${fmt(row.acceptedPerSecond, 0)}/s), answer p50 ${fmt(row.p50)} ms p99 ${fmt(row.p99)} ms, ` +
        `202→Kafka p50 ${fmt(row.kafkaP50)} ms p99 ${fmt(row.kafkaP99)} ms, server-side mean ${fmt(row.serverMeanMs)} ms${row.missingOnKafka ? `, ${row.missingOnKafka} not on Kafka after 60 s` : ''}`,
    );
    await sleep(2000);
  }

  const passing = rows.filter(
    (row) => row.failed === 0 && row.p99 < 50 && row.kafkaP99 < 250 && row.missingOnKafka === 0,
  );
  const best = passing.at(-1);
  console.log(
    `\nMachine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`,
  );
  console.log(`Ceiling (INSERT + COMMIT, 32 clients): ${fmt(ceiling, 0)}/s\n`);
  console.log(
    '| arrival rate /s | accepted | accepted/s | answer p50 ms | answer p99 ms | 202→Kafka p50 ms | 202→Kafka p99 ms | CPU ms/request: service, postgres, kafka, load generator |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const row of rows) {
    const cpu = row.cpuPerRequest;
    console.log(
      `| ${row.rate} | ${row.accepted}/${row.sent} | ${fmt(row.acceptedPerSecond, 0)} | ${fmt(row.p50)} | ${fmt(row.p99)} | ${fmt(row.kafkaP50)} | ${fmt(row.kafkaP99)} | ` +
        `${fmt(cpu.service, 2)}, ${fmt(cpu.postgres, 2)}, ${fmt(cpu.kafka, 2)}, ${fmt(cpu.generator, 2)} |`,
    );
  }
  if (best) {
    console.log(
      `\nSustained with p99 < 50 ms and 202→Kafka p99 < 250 ms: ${fmt(best.acceptedPerSecond, 0)} accepted/s = ` +
        `${fmt((100 * best.acceptedPerSecond) / ceiling, 0)}% of the ceiling (goal: 50%).`,
    );
  } else {
    console.log('\nNo rate met p99 < 50 ms with 202→Kafka p99 < 250 ms.');
  }
} finally {
  await consumer?.disconnect().catch(() => undefined);
  await service?.stop();
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
