// The platform the fault suite runs and breaks: its own PostgreSQL, Kafka and MailDev (free ports,
// throwaway data), every service of services.mjs as a built process, and the means to kill, pause and
// restart each of them. Kafka and PostgreSQL keep their data across restarts, as in production.
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../stack/bootstrap.mjs';
import { ensureSecrets } from '../stack/env.mjs';
import { allTopics, serviceNodeArgs, services } from '../stack/services.mjs';
import { ensureKafkaJars, ensureTopics, startKafka } from '../infra/kafka.mjs';
import { startMaildev } from '../infra/maildev.mjs';
import { ensureDatabase, startPostgres, withDatabase } from '../infra/postgres.mjs';
import { freePort, stopChild, tail, waitFor } from '../infra/process.mjs';

export const PARTITIONS = 3;

/** @param {number} [preferred] */
const port = async (preferred = 0) => /** @type {number} */ (await freePort(preferred));

/** A fresh temporary folder for a stack's data and logs, `<tmpdir>/<prefix>XXXXXX`. @param {string} prefix */
export function stackDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755); // the embedded Postgres runs as its own user when we are root
  return dir;
}

/**
 * @param {{ dir: string, log: (message: string) => void, env?: Record<string, string> }} options
 *   `env`: settings every service gets on top of the stack's (a benchmark's SMTP sink, say)
 */
export async function startChaosStack({ dir, log, env = {} }) {
  const quiet = () => {};
  await ensureKafkaJars({ log });
  const ports = {
    postgres: await port(),
    kafka: await port(),
    controller: await port(),
    smtp: await port(),
    web: await port(),
  };
  const pgDir = join(dir, 'postgres');
  const kafkaDir = join(dir, 'kafka');
  let postgres = await startPostgres({ port: ports.postgres, dataDir: pgDir, log: quiet });
  /** @type {Awaited<ReturnType<typeof startKafka>>} */
  let kafka = await startKafka({
    port: ports.kafka,
    controllerPort: ports.controller,
    dataDir: kafkaDir,
    partitions: PARTITIONS,
    log: quiet,
  });
  const mail = await startMaildev({
    smtpPort: ports.smtp,
    webPort: ports.web,
    dataDir: join(dir, 'maildev'),
    log: quiet,
  });
  const adminUrl = postgres.adminUrl;
  await ensureTopics(kafka.brokers, allTopics(), PARTITIONS);
  for (const service of services) await ensureDatabase(adminUrl, service.database);
  log(`PostgreSQL on ${ports.postgres}, Kafka on ${ports.kafka}, MailDev on ${ports.web}; data in ${dir}`);

  const { secrets } = ensureSecrets(join(dir, 'secrets.env'), services);
  const servicePorts = Object.fromEntries(
    await Promise.all(services.map(async (service) => [service.name, await port()])),
  );
  const urls = Object.fromEntries(
    services.map((service) => [service.name, `http://127.0.0.1:${servicePorts[service.name]}`]),
  );
  /** @type {Record<string, string>} */
  const shared = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    KAFKA_BROKERS: kafka.brokers,
    KAFKA_PARTITIONS: String(PARTITIONS),
    SMTP_URL: mail.smtpUrl,
    ACCESS_TOKEN_JWKS_URL: `${urls.account}/.well-known/jwks.json`,
    PORTAL_URL: urls.portal,
    ACCOUNT_URL: urls.account,
    LICENSE_URL: urls.license,
    TRACKING_URL: urls.tracking,
    PO_INTAKE_URL: urls['po-intake'],
    // One load generator from one address: the limits are proven by each service's own specs.
    LTS_RATE_LIMIT_PER_MINUTE: '100000000',
    RESELLER_RATE_LIMIT: '999999/1',
    RATE_LIMIT_REFRESH_PER_CLIENT: '999999/1',
    ...secrets,
    ...env,
  };
  for (const limit of ['SIGN_IN', 'RESET', 'REGISTER'])
    for (const per of ['PER_ACCOUNT', 'PER_CLIENT']) shared[`RATE_LIMIT_${limit}_${per}`] = '999999/1';

  const logs = join(dir, 'logs');
  mkdirSync(logs, { recursive: true });
  /** @type {Map<string, ServiceProcess>} */
  const processes = new Map();
  for (const service of services) {
    processes.set(
      service.name,
      new ServiceProcess(service.name, service.main, urls[service.name], join(logs, `${service.name}.log`), {
        ...shared,
        PORT: String(servicePorts[service.name]),
        DATABASE_URL: withDatabase(adminUrl, service.database),
      }),
    );
  }
  await Promise.all([...processes.values()].map((service) => service.start()));
  log(`services ready: ${[...processes.keys()].join(', ')}`);

  return {
    adminUrl,
    /** @param {string} database */
    databaseUrl: (database) => withDatabase(adminUrl, database),
    get brokers() {
      return kafka.brokers;
    },
    maildevUrl: mail.apiUrl,
    urls,
    secrets,
    processes,
    logs,
    /** Stops Kafka (a controlled shutdown), waits, starts it again on its data. */
    async restartKafka(/** @type {number} */ downSeconds) {
      await kafka.stop();
      await sleepSeconds(downSeconds);
      kafka = await startKafka({
        port: ports.kafka,
        controllerPort: ports.controller,
        dataDir: kafkaDir,
        partitions: PARTITIONS,
        log: quiet,
      });
    },
    /** Stops PostgreSQL (every connection is cut), waits, starts it again on its data. */
    async restartPostgres(/** @type {number} */ downSeconds) {
      await postgres.stop();
      await sleepSeconds(downSeconds);
      postgres = await startPostgres({ port: ports.postgres, dataDir: pgDir, log: quiet });
    },
    async stop() {
      await Promise.all([...processes.values()].map((service) => service.stop()));
      await kafka.stop().catch(() => {});
      await Promise.all([postgres.stop().catch(() => {}), mail.stop().catch(() => {})]);
    },
  };
}

/** @typedef {Awaited<ReturnType<typeof startChaosStack>>} ChaosStack */

/** @param {number} seconds */
const sleepSeconds = (seconds) => new Promise((done) => setTimeout(done, seconds * 1000));

/** One service: started, killed, paused and started again, its output appended to one log file. */
export class ServiceProcess {
  /** @type {import('node:child_process').ChildProcess | undefined} */
  child;
  kills = 0;
  pauses = 0;
  /** exits nobody asked for: restarted after a second, as an orchestrator would */
  crashes = 0;
  stopping = false;
  killing = false;
  /** @type {Promise<void>} the faults of this service, one after the other */
  queue = Promise.resolve();

  /**
   * @param {string} name @param {string} main @param {string} url @param {string} logFile
   * @param {Record<string, string>} env
   */
  constructor(name, main, url, logFile, env) {
    this.name = name;
    this.main = main;
    this.url = url;
    this.logFile = logFile;
    this.env = env;
  }

  /**
   * Starts the service and waits until it is ready. A process that exits before it is ready (say,
   * PostgreSQL is down and it cannot migrate) is started again after a second, as an orchestrator
   * restarts a crashing pod; each such exit counts as a crash.
   */
  async start() {
    const deadline = Date.now() + 180_000;
    for (;;) {
      const child = this.spawn();
      try {
        await waitFor(
          async () =>
            (await fetch(`${this.url}/health/ready`, { signal: AbortSignal.timeout(2000) })).status === 200,
          {
            timeoutMs: Math.max(1000, deadline - Date.now()),
            intervalMs: 200,
            abort: () => (child.exitCode !== null || child.signalCode !== null ? 'exited' : undefined),
            onTimeout: () => `${this.name} not ready within 180 s:\n${tail(this.logFile)}`,
          },
        );
        break;
      } catch (error) {
        if (child.exitCode === null && child.signalCode === null) throw error;
        if (this.killing || this.stopping) return;
        this.crashes += 1;
        if (Date.now() > deadline)
          throw new Error(`${this.name} keeps exiting during start-up:\n${tail(this.logFile)}`);
        await sleepSeconds(1);
      }
    }
    const child = /** @type {import('node:child_process').ChildProcess} */ (this.child);
    child.once('exit', () => {
      if (this.stopping || this.killing || this.child !== child) return;
      this.crashes += 1;
      this.queue = this.queue.then(async () => {
        await sleepSeconds(1);
        if (!this.stopping) await this.start();
      });
    });
  }

  spawn() {
    const output = openSync(this.logFile, 'a');
    const args = [...serviceNodeArgs, '-r', './tools/runtime/register-aliases.cjs', this.main];
    const child = spawn(process.execPath, args, {
      cwd: repoRoot,
      env: this.env,
      stdio: ['ignore', output, output],
    });
    closeSync(output);
    this.child = child;
    return child;
  }

  /** SIGKILL: no shutdown hook runs, in-flight requests and transactions are cut off. */
  async kill() {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.kills += 1;
    this.killing = true;
    const gone = new Promise((done) => child.once('exit', done));
    child.kill('SIGKILL');
    await gone;
    this.killing = false;
  }

  /** SIGSTOP for `seconds`, then SIGCONT: the process misses its Kafka heartbeats and is fenced. */
  async pause(/** @type {number} */ seconds) {
    const child = this.child;
    if (!child?.pid || child.exitCode !== null) return;
    this.pauses += 1;
    child.kill('SIGSTOP');
    await sleepSeconds(seconds);
    // It may have been killed (and restarted as a new process) meanwhile.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGCONT');
  }

  async stop() {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGCONT');
    await stopChild(child, { name: this.name, timeoutMs: 15_000, log: () => {} });
  }
}
