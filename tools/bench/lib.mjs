// Shared pieces of the benchmarks: an isolated stack, an open-model load generator, statistics.
import { spawn } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../stack/bootstrap.mjs';
import { startInfra, ensureTopics } from '../stack/infra.mjs';
import { serviceNodeArgs } from '../stack/services.mjs';
import { ensureDatabase, startPostgres, withDatabase } from '../infra/postgres.mjs';

/**
 * Postgres, Kafka and MailDev on bench ports with throwaway data. `portOffset` (or the
 * BENCH_PORT_OFFSET variable) shifts every port, so two benchmarks can run on one machine.
 * @param {{ portOffset?: number }} [options]
 */
export async function startBenchInfra({ portOffset = Number(process.env.BENCH_PORT_OFFSET ?? 0) } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'otl-bench-'));
  chmodSync(dataDir, 0o755); // the embedded Postgres runs as its own user when we are root
  const infra = await startInfra({
    dataDir,
    postgresPort: 56433 + portOffset,
    kafkaPort: 29192 + portOffset,
    kafkaControllerPort: 29193 + portOffset,
    partitions: 3,
    smtpPort: 21025 + portOffset,
    webPort: 21080 + portOffset,
  });
  return {
    ...infra,
    dataDir,
    async database(name) {
      await ensureDatabase(infra.adminUrl, name);
      return withDatabase(infra.adminUrl, name);
    },
    topics: (topics) => ensureTopics(infra.brokers, topics, 3),
    async stop() {
      await infra.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Only PostgreSQL, on the bench port (shifted like startBenchInfra's), with throwaway data: for
 * steps that need no Kafka or MailDev, such as a read-model rebuild.
 */
export async function startBenchPostgres({ portOffset = Number(process.env.BENCH_PORT_OFFSET ?? 0) } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'otl-bench-'));
  chmodSync(dataDir, 0o755); // the embedded Postgres runs as its own user when we are root
  const postgres = await startPostgres({ port: 56433 + portOffset, dataDir: join(dataDir, 'postgres') });
  return {
    adminUrl: postgres.adminUrl,
    dataDir,
    async database(name) {
      await ensureDatabase(postgres.adminUrl, name);
      return withDatabase(postgres.adminUrl, name);
    },
    async stop() {
      await postgres.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts a compiled service the way `npm start` does and waits until it is ready. `nodeArgs` go
 * before the script (for flags NODE_OPTIONS refuses, such as `--cpu-prof`); `root` is a checkout
 * whose `dist/` to run (another build of the same code, for a side-by-side comparison).
 */
export async function startService(name, port, env, nodeArgs = [], root = repoRoot) {
  const child = spawn(
    process.execPath,
    [
      ...serviceNodeArgs,
      ...nodeArgs,
      '-r',
      './tools/runtime/register-aliases.cjs',
      `dist/out-tsc/apps/${name}/src/main.js`,
    ],
    {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...env, PORT: String(port) },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/health/${process.env.BENCH_SERVICE_KAFKA ? 'live' : 'ready'}`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok)
      return {
        url,
        pid: child.pid,
        /** How it ended, while the benchmark still expects it to run: null if it still runs. */
        exited: () =>
          child.exitCode !== null || child.signalCode !== null
            ? { code: child.exitCode, signal: child.signalCode }
            : null,
        stop: () =>
          child.exitCode !== null || child.signalCode !== null
            ? Promise.resolve()
            : new Promise((done) => (child.once('exit', done), child.kill('SIGTERM'))),
      };
    await sleep(100);
  }
  throw new Error(`${name} did not become ready`);
}

export const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

export function signWebhook(secret, id, timestamp, body) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The link token of the first mail MailDev caught for `email` (waits up to 20 s). */
/**
 * Delivers one signed store webhook (a fresh `webhook-id`, unless given) and returns the answer.
 * @param {string} storeUrl @param {string} secret @param {string} body
 * @param {{ id?: string, timestamp?: number }} [options]
 */
export function deliverStoreWebhook(storeUrl, secret, body, options = {}) {
  const id = options.id ?? `msg_${randomUUID()}`;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return fetch(`${storeUrl}/v1/webhooks/store`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(secret, id, timestamp, body),
    },
    body,
  });
}

export async function maildevToken(maildevUrl, email) {
  for (let i = 0; i < 200; i++) {
    const mails = await (
      await fetch(`${maildevUrl}/api/email?to.address=${encodeURIComponent(email)}`)
    ).json();
    const token = mails[0]?.text.match(/token=([\w-]+)/)?.[1];
    if (token) return token;
    await sleep(100);
  }
  throw new Error(`no mail for ${email}`);
}

/**
 * A maker of signed `order.completed` deliveries for `openLoad`: order `BENCH-{run}-{i}` by the
 * buyer `buyer(i)`, signed with `secret` at `timestamp`.
 * @param {{ secret: string, run: string, timestamp: number, buyer: (i: number) => string }} options
 */
export function storeOrders({ secret, run, timestamp, buyer }) {
  return (i) => {
    const body = JSON.stringify({
      type: 'order.completed',
      data: {
        orderId: `BENCH-${run}-${i}`,
        completedAt: '2026-11-27T10:00:00Z',
        currency: 'USD',
        customer: { email: buyer(i), name: 'Bench Buyer', company: null },
        items: [{ sku: 'BARCODE-JS-DEVICE-1Y', quantity: 1, unitPrice: '1249.00' }],
        total: '1249.00',
      },
    });
    const id = `msg_${run}_${i}`;
    return {
      path: '/v1/webhooks/store',
      body,
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(secret, id, timestamp, body),
      },
    };
  };
}

/**
 * Open-model load: request i is sent at start + i / rate whatever happened to earlier ones,
 * and its latency counts from that scheduled moment (no coordinated omission).
 * Each result holds the status, the latency, when it ended, the body and the response headers.
 * @param {{ url: string, rate: number, seconds: number, maxSockets?: number, make: (i: number) => { path: string, headers: Record<string,string>, body: string } }} options
 */
export async function openLoad({ url, rate, seconds, make, maxSockets = 512 }) {
  const { hostname, port } = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const total = Math.round(rate * seconds);
  const requests = Array.from({ length: total }, (_, i) => make(i));
  const results = new Array(total);
  let done = 0;
  const start = performance.now() + 50;
  let finish;
  const allDone = new Promise((resolve) => (finish = resolve));
  const send = (i) => {
    const scheduled = start + (i * 1000) / rate;
    const { path, headers, body } = requests[i];
    const request = http.request(
      {
        agent,
        hostname,
        port,
        path,
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
          results[i] = {
            status: response.statusCode,
            latencyMs: performance.now() - scheduled,
            at: Date.now(),
            body: Buffer.concat(chunks).toString(),
            headers: response.headers,
          };
          if (++done === total) finish();
        });
      },
    );
    request.on('error', (error) => {
      results[i] = {
        status: 0,
        latencyMs: performance.now() - scheduled,
        at: Date.now(),
        body: String(error),
        headers: {},
      };
      if (++done === total) finish();
    });
    request.end(body);
  };
  let next = 0;
  while (next < total) {
    const now = performance.now();
    while (next < total && start + (next * 1000) / rate <= now) send(next++);
    await sleep(1);
  }
  await allDone;
  const elapsedMs = performance.now() - start;
  agent.destroy();
  return { results, elapsedMs };
}

/**
 * When the `type` event of each purchase was recorded in the event store behind `pool` (ms since the
 * epoch: the start of the transaction that wrote it), polled every 200 ms until every one of `ids` is
 * there or `waitMs` has passed (0: one look).
 * @param {import('pg').Pool} pool @param {string} type @param {string[]} ids @param {number} waitMs
 * @returns {Promise<Map<string, number>>}
 */
export async function eventTimes(pool, type, ids, waitMs) {
  const found = new Map();
  const deadline = Date.now() + waitMs;
  for (;;) {
    const { rows } = await pool.query(
      `SELECT data->>'purchaseId' AS id, (extract(epoch FROM recorded_at) * 1000)::float8 AS at
         FROM es_events WHERE type = $1 AND data->>'purchaseId' = ANY($2::text[])`,
      [type, ids.filter((id) => !found.has(id))],
    );
    for (const row of rows) found.set(row.id, row.at);
    if (found.size >= ids.length || Date.now() >= deadline) return found;
    await sleep(200);
  }
}

export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** The same machine's ceiling: single-row INSERT + COMMIT per request with `clients` connections. */
export async function insertCeiling(databaseUrl, { clients = 32, seconds = 10 } = {}) {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: databaseUrl, max: clients });
  await pool.query(
    'CREATE TABLE IF NOT EXISTS bench_ceiling (id bigserial PRIMARY KEY, payload text NOT NULL, at timestamptz NOT NULL DEFAULT now())',
  );
  let count = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        await pool.query('INSERT INTO bench_ceiling (payload) VALUES ($1)', ['x'.repeat(200)]);
        count++;
      }
    }),
  );
  await pool.end();
  return count / seconds;
}

/**
 * CPU time (ms) used so far by a process and all its descendants (/proc, Linux-only). Unlike
 * `cpuByComponent`, it counts only the servers this run started, not others' on the same machine.
 * @param {number[]} roots
 */
export async function cpuOfProcessTrees(roots) {
  const { readdirSync, readFileSync } = await import('node:fs');
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  const processes = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      processes.push({
        pid: Number(entry),
        ppid: Number(fields[1]),
        // utime + stime, plus cutime + cstime: the children it has reaped (exited backends)
        ms: (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * tick,
      });
    } catch {
      // the process ended while we looked
    }
  }
  const inTree = new Set(roots);
  for (let grew = true; grew;) {
    grew = false;
    for (const { pid, ppid } of processes) {
      if (inTree.has(pid) || !inTree.has(ppid)) continue;
      inTree.add(pid);
      grew = true;
    }
  }
  return processes.filter(({ pid }) => inTree.has(pid)).reduce((sum, { ms }) => sum + ms, 0);
}

/**
 * CPU time (ms) used so far, per component: the service process, every postgres process,
 * the Kafka broker (java) and this load generator. /proc is Linux-only.
 */
export async function cpuByComponent(servicePid) {
  const { readdirSync, readFileSync } = await import('node:fs');
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  const totals = { service: 0, postgres: 0, kafka: 0, generator: 0 };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = (Number(fields[11]) + Number(fields[12])) * tick;
    if (Number(entry) === servicePid) totals.service += ms;
    else if (Number(entry) === process.pid) totals.generator += ms;
    else if (comm === 'postgres') totals.postgres += ms;
    else if (comm === 'java') totals.kafka += ms;
  }
  return totals;
}

/**
 * CPU time (ms) used so far by the processes this run started, per component: each named service
 * (its process and descendants), then by command name `postgres` and `java` (Kafka), this load
 * generator, and `other` (MailDev, wrappers, operator commands). Processes that are not
 * descendants of this one (other sessions' servers on the same machine) are not counted. A
 * process's reaped children count for it (Postgres's exited autovacuum workers), except for the
 * generator's own.
 * With `postgresByDatabase`, also the Postgres time split by the database each backend serves
 * (`server` for the postmaster, WAL writer, checkpointer, autovacuum and exited backends).
 * @param {Record<string, number>} services name → pid
 * @param {{ postgresByDatabase?: boolean }} [options]
 * @returns {Promise<Record<string, number> & { postgresByDatabase?: Record<string, number> }>}
 */
export async function cpuOfOwnProcesses(services, options = {}) {
  const { readdirSync, readFileSync } = await import('node:fs');
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  const processes = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const own = (Number(fields[11]) + Number(fields[12])) * tick;
      const reaped = (Number(fields[13]) + Number(fields[14])) * tick;
      processes.set(Number(entry), { ppid: Number(fields[1]), comm, own, reaped });
    } catch {
      // the process ended while we looked
    }
  }
  const byPid = new Map(Object.entries(services).map(([name, pid]) => [pid, name]));
  const byDatabase = options.postgresByDatabase ? /** @type {Record<string, number>} */ ({}) : undefined;
  const totals = Object.fromEntries(
    [...Object.keys(services), 'postgres', 'kafka', 'generator', 'other'].map((k) => [k, 0]),
  );
  for (const [pid, { comm, own, reaped }] of processes) {
    if (pid === process.pid) {
      totals.generator += own;
      continue;
    }
    let component;
    let ours = false;
    for (let at = pid, hops = 0; at > 1 && hops < 64; at = processes.get(at)?.ppid ?? 0, hops++) {
      if (!component && byPid.has(at)) component = byPid.get(at);
      if (at === process.pid) {
        ours = true;
        break;
      }
    }
    if (!ours) continue;
    component ??= comm === 'postgres' ? 'postgres' : comm === 'java' ? 'kafka' : 'other';
    totals[component] += own + reaped;
    if (component === 'postgres' && byDatabase) {
      // A backend's command line is `postgres: <user> <database> <client> <state>`.
      let database = 'server';
      try {
        database =
          /^postgres: \S+ (\S+) /.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))?.[1] ?? 'server';
      } catch {
        // ended meanwhile
      }
      byDatabase[database] = (byDatabase[database] ?? 0) + own + reaped;
    }
  }
  return byDatabase ? { ...totals, postgresByDatabase: byDatabase } : totals;
}

/** Busy and total CPU time (ms) of the whole machine so far, from /proc/stat: every process, ours or not. */
export async function machineCpu() {
  const { readFileSync } = await import('node:fs');
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((sum, n) => sum + n, 0) * 10;
  const idle = (fields[3] + fields[4]) * 10; // idle + iowait
  return { busy: total - idle, total };
}
