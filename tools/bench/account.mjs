#!/usr/bin/env node
// Account service: purchase-to-account latency and sign-in throughput.
//
//   npm run bench:account [-- --rates 50,100,150,200 --seconds 20 --sign-in-seconds 10 --concurrency 1,2,4,8,16]
//
// Starts its own Postgres, Kafka and MailDev on bench ports (throwaway data), builds and starts
// store-webhook and account, then:
//  1. drives signed order.completed deliveries by new buyers at each arrival rate (open model)
//     and measures, per purchase, the time from the store webhook's 202 to purchase.assigned.v1
//     on Kafka (account created, set-password mail queued, event forwarded);
//  2. signs in verified accounts with their real passwords (Argon2id, OWASP parameters) from N
//     concurrent clients and reports sign-ins/s, next to what raw Argon2id hashing does on this
//     machine with the same thread pool, which is the bound.
import { randomUUID, generateKeyPairSync } from 'node:crypto';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { build } from '../stack/bootstrap.mjs';
import {
  fmt,
  newWebhookSecret,
  openLoad,
  percentile,
  storeOrders,
  maildevToken,
  startBenchInfra,
  startService,
} from './lib.mjs';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '50,100,150,200' },
    seconds: { type: 'string', default: '20' },
    'sign-in-seconds': { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '1,2,4,8,16' },
    accounts: { type: 'string', default: '32' },
    // maildev: the local stack's catcher (parses and stores every mail, on the same 2 cores);
    // sink: a bare SMTP server in this process that accepts and discards, as a remote relay would.
    smtp: { type: 'string', default: 'maildev' },
  },
});
const rates = values.rates.split(',').map(Number);
const seconds = Number(values.seconds);
const PASSWORD = 'correct horse battery staple';

if (!process.env.BENCH_SKIP_BUILD) await build();
const infra = await startBenchInfra();
const sink = values.smtp === 'sink' ? await startSmtpSink() : undefined;
const services = [];
let consumer;
try {
  await infra.topics(['purchases.v1', 'purchases.v1.dlq', 'accounts.v1', 'accounts.v1.dlq']);
  const secret = newWebhookSecret();
  const signingKey = Buffer.from(
    generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }),
  ).toString('base64');
  // Started one by one and listed at once, so a failed start still stops the others.
  const store = await startService('store-webhook', 3191, {
    DATABASE_URL: await infra.database('store_webhook'),
    KAFKA_BROKERS: infra.brokers,
    STORE_WEBHOOK_SECRET: secret,
  });
  services.push(store);
  const account = await startService('account', 3194, {
    DATABASE_URL: await infra.database('account'),
    KAFKA_BROKERS: infra.brokers,
    SMTP_URL: sink?.url ?? infra.smtpUrl,
    ACCESS_TOKEN_SIGNING_KEY: signingKey,
    NODE_OPTIONS: process.env.BENCH_ACCOUNT_NODE_OPTIONS ?? '',
    // One client address drives the whole benchmark: lift the per-client limits.
    RATE_LIMIT_SIGN_IN_PER_CLIENT: '100000/60',
    RATE_LIMIT_REGISTER_PER_CLIENT: '100000/60',
  });
  services.push(account);

  // When each purchase was assigned, as seen on Kafka.
  const assignedAt = new Map();
  const kafka = new kafkajs.Kafka({
    clientId: 'bench',
    brokers: [infra.brokers],
    logLevel: kafkajs.logLevel.NOTHING,
  });
  consumer = kafka.consumer({ groupId: `bench-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: ['accounts.v1'], fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = JSON.parse(message.value.toString());
      if (event.type === 'purchase.assigned.v1') assignedAt.set(event.data.purchaseId, Date.now());
    },
  });
  await sleep(2000);

  const makeOrder = (run, timestamp) =>
    storeOrders({ secret, run, timestamp, buyer: (i) => `buyer-${run}-${i}@example.com` });

  // Warm-up (not measured): JIT, connection pools and the consumers' fetch sizes settle.
  process.stdout.write('\nWarm-up: 100 purchases/s for 15 s (not measured) ... ');
  await openLoad({
    url: store.url,
    rate: 100,
    seconds: 15,
    make: makeOrder(`warm-${randomUUID().slice(0, 6)}`, Math.floor(Date.now() / 1000) + 30),
  });
  await sleep(3000);
  console.log('done');

  const purchaseRows = [];
  let run;
  for (const rate of rates) {
    run = randomUUID().slice(0, 8);
    purchaseRows.push(await purchasesAt(rate, run));
    await sleep(3000);
  }

  /** New buyers at `rate`/s for `seconds`: 202 → purchase.assigned.v1 on Kafka. */
  async function purchasesAt(rate, run) {
    process.stdout.write(`\nPurchases by new buyers: ${rate}/s for ${seconds} s ... `);
    const { results, elapsedMs } = await openLoad({
      url: store.url,
      rate,
      seconds,
      make: makeOrder(run, Math.floor(Date.now() / 1000) + 30),
    });
    const accepted = new Map(
      results
        .filter((result) => result.status === 202)
        .map((result) => [JSON.parse(result.body).purchaseId, result.at]),
    );
    const deadline = Date.now() + 60_000;
    while ([...accepted.keys()].some((id) => !assignedAt.has(id)) && Date.now() < deadline) await sleep(100);
    const delays = [...accepted]
      .filter(([id]) => assignedAt.has(id))
      .map(([id, at]) => Math.max(0, assignedAt.get(id) - at));
    const row = {
      rate,
      sent: results.length,
      accepted: accepted.size,
      perSecond: accepted.size / (elapsedMs / 1000),
      p50: percentile(delays, 50),
      p99: percentile(delays, 99),
      max: Math.max(...delays),
      missing: accepted.size - delays.length,
    };
    console.log(
      `accepted ${row.accepted}/${row.sent}; 202→purchase.assigned.v1 p50 ${fmt(row.p50)} ms, p99 ${fmt(row.p99)} ms, max ${fmt(row.max)} ms` +
        (row.missing ? `, ${row.missing} not assigned after 60 s` : ''),
    );
    return row;
  }

  for (const [name, service] of [
    ['store-webhook', store],
    ['account', account],
  ]) {
    const text = await (await fetch(`${service.url}/metrics`)).text();
    const pick = (metric) =>
      Number(new RegExp(`^${metric}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    const mean =
      (1000 * pick('forwarder_publish_delay_seconds_sum')) / pick('forwarder_publish_delay_seconds_count');
    console.log(
      `  ${name}: commit→Kafka ack mean ${fmt(mean)} ms over ${pick('forwarder_publish_delay_seconds_count')} events`,
    );
  }

  // Verified accounts with known passwords: register, then use the mailed verification links.
  const count = Number(values.accounts);
  process.stdout.write(`\nSign-in: registering and verifying ${count} accounts ... `);
  const emails = Array.from({ length: count }, (_, i) => `signin-${run}-${i}@example.com`);
  for (const email of emails) {
    const answer = await post(account.url, '/v1/accounts', { email, password: PASSWORD, name: 'Bench' });
    if (answer.status !== 202) throw new Error(`registration answered ${answer.status}`);
  }
  for (const email of emails) {
    const token = await mailedToken(email);
    const answer = await post(account.url, '/v1/accounts/verification', { token });
    if (answer.status !== 204) throw new Error(`verification answered ${answer.status}`);
  }
  console.log('done');

  const argon = await import('@node-rs/argon2');
  const options = { algorithm: argon.Algorithm.Argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 };
  const stored = await argon.hash(PASSWORD, options);
  const signInRows = [];
  for (const concurrency of values.concurrency.split(',').map(Number)) {
    // Raw hashing with the same concurrency, in this process (libuv pool, as in the service).
    const raw = await closedLoop(concurrency, Number(values['sign-in-seconds']) / 2, async () => {
      await argon.verify(stored, PASSWORD);
      return true;
    });
    let next = 0;
    const service = await closedLoop(concurrency, Number(values['sign-in-seconds']), async () => {
      const email = emails[next++ % emails.length];
      return (await post(account.url, '/v1/auth/token', { email, password: PASSWORD })).status === 200;
    });
    signInRows.push({ concurrency, raw, service });
    console.log(
      `  ${concurrency} concurrent: ${fmt(service.perSecond, 0)} sign-ins/s (p50 ${fmt(service.p50)} ms, p99 ${fmt(service.p99)} ms, ${service.failed} failed); ` +
        `raw Argon2id verify ${fmt(raw.perSecond, 0)}/s (${fmt(raw.p50)} ms each)`,
    );
  }

  console.log(
    `\nMail: ${values.smtp === 'sink' ? 'SMTP sink in the benchmark process' : 'MailDev'}. Machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, libuv pool ${process.env.UV_THREADPOOL_SIZE ?? 4}`,
  );
  console.log(
    '\n| purchases/s (new buyers) | accepted | 202→assigned p50 ms | p99 ms | max ms | not assigned |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of purchaseRows) {
    console.log(
      `| ${row.rate} | ${row.accepted}/${row.sent} | ${fmt(row.p50)} | ${fmt(row.p99)} | ${fmt(row.max)} | ${row.missing} |`,
    );
  }
  console.log(
    '\n| concurrent sign-ins | sign-ins/s | p50 ms | p99 ms | raw Argon2id verifies/s (same concurrency) |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: |');
  for (const row of signInRows) {
    console.log(
      `| ${row.concurrency} | ${fmt(row.service.perSecond, 0)} | ${fmt(row.service.p50)} | ${fmt(row.service.p99)} | ${fmt(row.raw.perSecond, 0)} |`,
    );
  }
  console.log(
    `\nHighest rate with 202→assigned p99 under 500 ms: ${purchaseRows.filter((row) => row.p99 < 500 && row.missing === 0).at(-1)?.rate ?? 'none'}/s ` +
      `(goal: 200/s). Available parallelism: ${availableParallelism()}.`,
  );
} finally {
  await consumer?.disconnect().catch(() => undefined);
  sink?.close();
  for (const service of services) await service.stop();
  await infra.stop();
}

async function post(url, path, body) {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return { status: response.status };
}

/** An SMTP server that accepts every mail and keeps only the link tokens (for the sign-in set-up). */
async function startSmtpSink() {
  const { SMTPServer } = await import('smtp-server');
  const tokens = new Map();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, done) {
      const chunks = [];
      stream.on('data', (chunk) => chunks.push(chunk));
      stream.on('end', () => {
        // Undo quoted-printable: soft line breaks and =XX escapes (the link is a long line).
        const text = Buffer.concat(chunks)
          .toString()
          .replace(/=\r?\n/g, '')
          .replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
        const token = /token=([\w-]+)/.exec(text)?.[1];
        for (const { address } of session.envelope.rcptTo) if (token) tokens.set(address, token);
        done();
      });
    },
  });
  await new Promise((resolve) => server.listen(21026, '127.0.0.1', resolve));
  return { url: 'smtp://127.0.0.1:21026', tokens, close: () => server.close() };
}

async function mailedToken(email) {
  if (sink) {
    for (let i = 0; i < 200 && !sink.tokens.has(email); i++) await sleep(100);
    if (sink.tokens.has(email)) return sink.tokens.get(email);
    throw new Error(`no mail for ${email}`);
  }
  return maildevToken(infra.maildevUrl, email);
}

/** `concurrency` workers call `work` back to back for `seconds`; returns rate and latencies. */
async function closedLoop(concurrency, seconds, work) {
  const latencies = [];
  let failed = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        if (!(await work())) failed++;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return {
    perSecond: (latencies.length - failed) / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    failed,
  };
}
