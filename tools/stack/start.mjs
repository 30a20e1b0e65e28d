#!/usr/bin/env node
// `npm start`: installs and builds when needed, starts Postgres, Kafka and MailDev (data under .data/),
// creates the services' databases and topics, runs every service of services.mjs with its output
// prefixed, and stops it all on Ctrl-C / SIGTERM: services first, then Kafka, then Postgres and MailDev.
//
//   npm start -- --infra-only   only the infrastructure (to run a service from your IDE)
//   npm start -- --skip-build   use what is already in dist/out-tsc
//
// A service that dies is reported loudly and the rest keeps running; if a piece of infrastructure
// dies, nothing can work, so the whole stack stops.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { build, ensureInstalled, logger, paint, repoRoot, section } from './bootstrap.mjs';

const { values: flags } = parseArgs({
  options: { 'infra-only': { type: 'boolean' }, 'skip-build': { type: 'boolean' } },
});
const log = logger('stack');
const loud = (/** @type {string} */ message) => console.error(paint(['red', 'bold'], `!!! ${message}`));

await ensureInstalled().catch(fail);
if (!flags['infra-only'] && !flags['skip-build'] && !(await build())) {
  fail(
    'Not starting the services on a failed build. Fix the errors above, or run `npm start -- --infra-only`.',
  );
}

// Packages can be loaded only now that node_modules is sure to exist.
const { ensureTopics, startInfra } = await import('./infra.mjs');
const { ensureDatabase, redact, withDatabase } = await import('../infra/postgres.mjs');
const { describeExit, exited, spawnDaemon, stopChild, waitFor } = await import('../infra/process.mjs');
const { allTopics, serviceNodeArgs, services } = await import('./services.mjs');
const { ensureSecrets, intSetting, readEnvFile } = await import('./env.mjs');

const dataDir = join(repoRoot, '.data');
const secretsFile = join(dataDir, 'secrets.env');
const defaults = readEnvFile(join(repoRoot, '.env.defaults'));
const { secrets, generated } = ensureSecrets(secretsFile, services);
/** @type {Record<string, string | undefined>} */
const settings = { ...defaults, ...secrets, ...process.env };

/** @type {Promise<import('./infra.mjs').Infra> | undefined} */
let infraStarting;
/** @type {{ name: string, child: import('node:child_process').ChildProcess }[]} */
const running = [];
/** @type {Map<string, string>} why a service is not running, by name */
const notRunning = new Map();
let stopping = false;

for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
  process.on(signal, () => shutdown(`${signal} received`, 0));
}
// `npm start` does not pass a SIGTERM sent to npm itself on to this script: npm exits and
// this process is re-parented. Treat that like SIGTERM, so nothing is left running.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) shutdown('the parent process (npm) exited', 0);
}, 500).unref();

try {
  section('Infrastructure');
  infraStarting = startInfra({
    dataDir,
    postgresPort: intSetting(settings, 'POSTGRES_PORT'),
    databaseUrl: process.env.DATABASE_URL,
    kafkaPort: intSetting(settings, 'KAFKA_PORT'),
    kafkaControllerPort: intSetting(settings, 'KAFKA_CONTROLLER_PORT'),
    kafkaBrokers: process.env.KAFKA_BROKERS,
    partitions: intSetting(settings, 'KAFKA_PARTITIONS'),
    smtpPort: intSetting(settings, 'SMTP_PORT'),
    webPort: intSetting(settings, 'MAILDEV_WEB_PORT'),
  });
  const infra = await infraStarting;
  for (const { name, exited: gone } of infra.watch) {
    gone.then((exit) => {
      if (!stopping) {
        loud(
          `${name} stopped unexpectedly (${describeExit(exit)}); the services cannot work without it. Stopping the stack.`,
        );
        shutdown(`${name} died`, 1);
      }
    });
  }

  for (const service of services) {
    if (await ensureDatabase(infra.adminUrl, service.database)) log(`Created database ${service.database}`);
  }
  const created = await ensureTopics(infra.brokers, allTopics(), intSetting(settings, 'KAFKA_PARTITIONS'));
  if (created.length > 0) log(`Created topics ${created.join(', ')}`);

  if (!flags['infra-only'] && !stopping) {
    section('Services');
    /** @type {Record<string, string | undefined>} */
    const shared = {
      ...defaults,
      ...secrets,
      KAFKA_BROKERS: infra.brokers,
      SMTP_URL: infra.smtpUrl,
      ...process.env,
    };
    await Promise.all(
      services.map((service) =>
        startService(service, {
          ...shared,
          PORT: String(service.port),
          DATABASE_URL: withDatabase(infra.adminUrl, service.database),
        }),
      ),
    );
  }
  if (!stopping) printSummary(infra);
} catch (error) {
  // After a Ctrl-C during start-up, errors from infrastructure being stopped under us are expected.
  if (!stopping) loud(error instanceof Error ? error.message : String(error));
  await shutdown('start-up failed', 1);
}

/**
 * @param {import('./services.mjs').ServiceSpec} service
 * @param {Record<string, string | undefined>} env
 */
async function startService(service, env) {
  const prefix = paint('cyan', `${service.name} |`);
  if (!existsSync(join(repoRoot, service.main))) {
    loud(`${service.name}: ${service.main} does not exist; did the build emit it?`);
    notRunning.set(service.name, `${service.main} missing`);
    return;
  }
  const args = [...serviceNodeArgs, '-r', './tools/runtime/register-aliases.cjs', service.main];
  const child = spawnDaemon(process.execPath, args, {
    cwd: repoRoot,
    env,
  });
  running.push({ name: service.name, child });
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (line) => console.log(`${prefix} ${line}`));
  }
  let ready = false;
  exited(child).then((exit) => {
    if (ready && !stopping)
      loud(
        `${service.name} exited unexpectedly (${describeExit(exit)}); the rest of the stack keeps running.`,
      );
  });

  const url = `http://127.0.0.1:${service.port}/health/ready`;
  const started = Date.now();
  try {
    await waitFor(async () => (await fetch(url, { signal: AbortSignal.timeout(2000) })).status === 200, {
      timeoutMs: 60_000,
      intervalMs: 500,
      abort: () =>
        child.exitCode !== null || child.signalCode !== null
          ? `exited during start-up (${describeExit({ code: child.exitCode, signal: child.signalCode })})`
          : undefined,
      onTimeout: () => `not ready within 60s (${url})`,
    });
    ready = true;
    log(`${service.name} ready on port ${service.port} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    notRunning.set(service.name, reason);
    if (!stopping)
      loud(`${service.name} ${reason}; its output is above. The rest of the stack keeps running.`);
  }
}

/** @param {import('./infra.mjs').Infra} infra */
function printSummary(infra) {
  /** @type {[string, string][]} */
  const rows = [
    ['Postgres', infra.embeddedPostgres ? infra.adminUrl : redact(infra.adminUrl)],
    ['Kafka brokers', infra.brokers],
    ['MailDev SMTP', infra.smtpUrl],
    ['MailDev web UI', `${infra.maildevUrl}  (REST: ${infra.maildevUrl}/api/email)`],
    ...(flags['infra-only'] ? [] : services).map(
      (service) =>
        /** @type {[string, string]} */ ([
          service.name,
          notRunning.has(service.name)
            ? paint('red', `NOT RUNNING: ${notRunning.get(service.name)}`)
            : service.name === 'portal'
              ? `${settings.PORTAL_URL ?? `http://localhost:${service.port}`}  (open it in a browser; API docs: /docs)`
              : `http://127.0.0.1:${service.port}  (docs: http://127.0.0.1:${service.port}/docs)`,
        ]),
    ),
    ['Logs', '.data/postgres/postgres.log, .data/kafka/broker.log, .data/maildev/maildev.log'],
    ['Local secrets', '.data/secrets.env'],
  ];
  const width = Math.max(...rows.map(([what]) => what.length)) + 2;
  section('Ready');
  console.log(paint('bold', `${'what'.padEnd(width)}where`));
  for (const [what, where] of rows) console.log(`${what.padEnd(width)}${where}`);
  if (generated.length > 0) {
    console.log(`\nGenerated local secrets (kept in .data/secrets.env for later runs):`);
    // Webhook secrets are shown, to sign test deliveries; private signing keys only by name.
    for (const name of generated) {
      console.log(
        secrets[name]?.startsWith('whsec_') ? `  ${name}=${secrets[name]}` : `  ${name} (private key)`,
      );
    }
  }
  console.log(`\nPress Ctrl-C to stop everything.`);
}

/**
 * Stops what was started, in order, then exits.
 * @param {string} reason
 * @param {number} code
 */
async function shutdown(reason, code) {
  if (stopping) return;
  stopping = true;
  section(`Stopping (${reason})`);
  // Services first: they finish in-flight work while Kafka and Postgres are still there.
  await Promise.all(
    running
      .filter(({ child }) => child.exitCode === null && child.signalCode === null)
      .map(async ({ name, child }) => {
        log(`Stopping ${name}`);
        await stopChild(child, { name, timeoutMs: 15_000, log });
        log(`${name} stopped`);
      }),
  );
  const infra = await infraStarting?.catch(() => undefined);
  await infra?.stop();
  log('Everything stopped.');
  process.exit(code);
}

/** @param {unknown} error */
function fail(error) {
  loud(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
