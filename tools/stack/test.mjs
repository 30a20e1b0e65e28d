#!/usr/bin/env node
// `npm test`: installs and builds when needed, starts a throwaway Postgres, Kafka and MailDev (data in a
// fresh temporary folder, removed afterwards), creates the services' topics, then runs the unit Jest
// project, the portal's component tests (Vitest), the deploy Jest project (the Dockerfiles, compose file,
// Kubernetes manifests and AsyncAPI document checked offline), the int and e2e Jest projects, the browser tests
// (Playwright driving Debian's Chromium against the running services), then fuzzes every service's
// HTTP API with schemathesis (fuzz.mjs) and runs the fault suite's short run (tools/chaos, its own
// infrastructure, killed and restarted under load). The last line is always `N passed, N failed`; the exit code is
// non-zero when anything failed or no test ran at all.
//
//   npm test -- unit            only some kinds (unit, component, deploy, int, e2e, browser, fuzz, chaos; all by
//                               default)
//   TEST_KEEP_INFRA=1 npm test  keep the infrastructure running afterwards, until Ctrl-C
//   TEST_INFRA=containers npm test
//                               Postgres, Kafka and MailDev in Docker containers (testcontainers) instead of
//                               local processes; needs a Docker engine (docs/testing.md). Default: local
//
// Specs get TEST_PG_ADMIN_URL (superuser URL), KAFKA_BROKERS, SMTP_URL, MAILDEV_API_URL, NODE_ENV=test;
// browser specs also CHROMIUM_PATH and TEST_ARTIFACTS_DIR (screenshots, kept under .data/test-artifacts).
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, ensureInstalled, logger, paint, repoRoot, run, section } from './bootstrap.mjs';
import { infraChoice, specEnv } from '../infra/test-infra.mjs';

const KINDS = ['unit', 'component', 'deploy', 'int', 'e2e', 'browser', 'fuzz', 'chaos'];
/** Kinds that need no Postgres, Kafka or MailDev. */
// The chaos stage starts (and restarts) infrastructure of its own.
const WITHOUT_INFRA = new Set(['unit', 'component', 'deploy', 'chaos']);
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Preferred ports, away from the dev stack's; a busy one (say, a parallel run) is swapped for a free one. */
const PORTS = { postgres: 55433, kafka: 19092, kafkaController: 19093, smtp: 11025, web: 11080 };

const requested = process.argv.slice(2);
const unknown = requested.filter((kind) => !KINDS.includes(kind));
if (unknown.length > 0) {
  console.error(`Unknown test kind ${unknown.join(', ')}; use any of ${KINDS.join(', ')}`);
  process.exit(2);
}
const kinds = requested.length > 0 ? KINDS.filter((kind) => requested.includes(kind)) : KINDS;
/** @type {import('../infra/test-infra.mjs').InfraChoice} */
let infraSource;
try {
  infraSource = infraChoice(process.env);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(2);
}
const needsInfra = kinds.some((kind) => !WITHOUT_INFRA.has(kind));
const keepInfra = process.env.TEST_KEEP_INFRA === '1';
const log = logger('test');

let passed = 0;
let failed = 0;
/** @type {string[]} */
const report = [];
let interrupted = false;
/** @type {import('node:child_process').ChildProcess | undefined} */
let jest;
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(signal, () => {
    // A Ctrl-C reaches Jest directly (same process group); a SIGTERM from CI is passed on.
    interrupted = true;
    if (signal === 'SIGTERM') jest?.kill('SIGTERM');
  });
}
// npm does not pass a SIGTERM sent to itself on to this script; when npm is gone (we are
// re-parented), act as if the SIGTERM had arrived, so no test server is left behind.
const parent = process.ppid;
const orphanWatch = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(orphanWatch);
  process.kill(process.pid, 'SIGTERM');
}, 500);
orphanWatch.unref();

try {
  await ensureInstalled();
} catch (error) {
  finish(`${error instanceof Error ? error.message : error}`, 1);
}
// TEST_INFRA=containers: find the Docker engine before building anything, so that a machine without
// one hears it at once. Counted as a failure; kinds that need no infrastructure still run.
/** @type {typeof import('../infra/containers.mjs') | undefined} */
let containers;
if (infraSource === 'containers' && needsInfra && !interrupted) {
  section('Docker engine (TEST_INFRA=containers)');
  const candidate = await import('../infra/containers.mjs');
  try {
    await candidate.connectToEngine();
    containers = candidate;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (kinds.every((kind) => !WITHOUT_INFRA.has(kind))) finish(message, 1);
    failed += 1;
    report.push(
      paint('red', 'infrastructure: no Docker engine for TEST_INFRA=containers (counted as 1 failure)'),
    );
    console.error(paint(['red', 'bold'], `!!! ${message}`));
  }
}
if (!(await build())) {
  failed += 1;
  report.push(paint('red', 'build: failed (counted as 1 failure); tests still run against the sources'));
}

// A full run (no kind named) also holds the code to the standards CI enforces: types
// (ts-jest transpiles specs without type-checking them), lint with module boundaries, format.
if (requested.length === 0 && !interrupted) {
  section('Static checks');
  const checks = [
    ['types', 'npm', ['run', '--silent', 'typecheck']],
    ['lint', 'npx', ['nx', 'run-many', '-t', 'lint', '--outputStyle=static']],
    ['format', 'npx', ['prettier', '--check', '--log-level', 'warn', '.']],
  ];
  for (const [name, command, args] of checks) {
    const code = await run(command, args, { env: { ...process.env, NX_DAEMON: 'false' } });
    if (code !== 0) {
      failed += 1;
      report.push(paint('red', `${name}: failed (counted as 1 failure)`));
    } else {
      log(`${name}: clean`);
    }
  }
}

// Packages can be loaded only now that node_modules is sure to exist.
const { ensureTopics, startInfra } = await import('./infra.mjs');
const { allTopics } = await import('./services.mjs');
const { freePort, isAlive, pidFile } = await import('../infra/process.mjs');
/** The preferred port when it is free, else one the OS picks (say, while another run uses it). */
const portFor = async (/** @type {number} */ preferred) =>
  (await freePort(preferred)) ?? /** @type {number} */ (await freePort(0));

const runsDir = join(repoRoot, '.data', 'test-runs');
await reclaimAbandonedRuns();
const workDir = mkdtempSync(join(tmpdir(), 'otl-test-'));
chmodSync(workDir, 0o755); // The embedded Postgres runs as user `postgres` and must reach its data.
mkdirSync(runsDir, { recursive: true });
writeFileSync(join(runsDir, `${process.pid}.json`), JSON.stringify({ workDir }));

/** @type {import('./infra.mjs').Infra | undefined} */
let infra;
/** @type {Record<string, string>} */
let testEnv = {};
if (needsInfra && (infraSource === 'local' || containers) && !interrupted) {
  section(containers ? 'Test infrastructure (containers)' : 'Test infrastructure');
  const started = Date.now();
  try {
    infra = containers
      ? await containers.startContainers({ partitions: 3, log: logger('containers') })
      : await startInfra({
          dataDir: workDir,
          postgresPort: await portFor(PORTS.postgres),
          kafkaPort: await portFor(PORTS.kafka),
          kafkaControllerPort: await portFor(PORTS.kafkaController),
          partitions: 3,
          smtpPort: await portFor(PORTS.smtp),
          webPort: await portFor(PORTS.web),
        });
    await ensureTopics(infra.brokers, allTopics(), 3);
    testEnv = specEnv(infra);
    log(`Ready in ${((Date.now() - started) / 1000).toFixed(1)}s:`);
    for (const [name, value] of Object.entries(testEnv)) log(`  ${name}=${value}`);
  } catch (error) {
    failed += 1;
    report.push(paint('red', 'infrastructure: failed to start (counted as 1 failure); int and e2e not run'));
    console.error(paint(['red', 'bold'], `!!! ${error instanceof Error ? error.message : error}`));
  }
}

for (const kind of kinds) {
  if (interrupted) break;
  if (!WITHOUT_INFRA.has(kind) && !infra) continue;
  if (kind === 'fuzz') await runFuzzStage();
  else if (kind === 'chaos') await runChaosStage();
  else if (kind === 'component') await runComponentStage();
  else if (kind === 'browser') await runBrowserStage();
  else await runJest(kind);
}

const exitCode = failed > 0 || passed === 0 || interrupted ? 1 : 0;
if (infra && keepInfra && !interrupted) {
  section('Infrastructure kept running (TEST_KEEP_INFRA=1)');
  for (const [name, value] of Object.entries(testEnv)) console.log(`  ${name}=${value}`);
  console.log(`  data: ${workDir}\n  Press Ctrl-C to stop it and clean up.`);
  printSummary();
  await new Promise((resume) => process.once('SIGINT', resume).once('SIGTERM', resume));
  await cleanUp();
} else {
  if (infra) section('Stopping the test infrastructure');
  await cleanUp();
  printSummary();
}
process.exit(exitCode);

async function cleanUp() {
  await infra?.stop().catch((error) => console.error(`Stopping the test infrastructure failed: ${error}`));
  rmSync(workDir, { recursive: true, force: true });
  rmSync(join(runsDir, `${process.pid}.json`), { force: true });
}

/** @param {string} kind @param {Record<string, string>} [extraEnv] */
async function runJest(kind, extraEnv = {}) {
  section(`Jest: ${kind}`);
  const output = join(workDir, `jest-${kind}.json`);
  const args = [
    join(repoRoot, 'node_modules/jest/bin/jest.js'),
    ...['-c', 'jest.config.ts', '--selectProjects', kind],
    '--passWithNoTests',
    ...['--json', `--outputFile=${output}`],
  ];
  /** @type {Record<string, string | undefined>} */
  const env = {
    ...process.env,
    ...testEnv,
    ...extraEnv,
    NODE_ENV: 'test',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  };
  delete env.DATABASE_URL; // Specs make their own databases on TEST_PG_ADMIN_URL, never touch a dev one.
  const child = (jest = spawn(process.execPath, args, {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  }));
  // Jest writes its results at the very end. A spec that leaks a handle (socket, timer) keeps Jest
  // alive after that; do not let it hang CI, but say so.
  const watchdog = setInterval(() => {
    if (!existsSync(output)) return;
    clearInterval(watchdog);
    setTimeout(() => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      console.error(
        paint(
          ['red', 'bold'],
          `!!! Jest (${kind}) did not exit 10s after its last test: a spec leaves a handle open. Stopping it.`,
        ),
      );
      child.kill('SIGKILL');
    }, 10_000).unref();
  }, 500);
  /** @type {number} */
  const code = await new Promise((done) => {
    child.on('error', () => done(1));
    child.on('close', (exitCode) => done(exitCode ?? 1));
  });
  clearInterval(watchdog);

  if (!existsSync(output)) {
    failed += 1;
    report.push(paint('red', `${kind}: Jest did not produce results (exit ${code}); counted as 1 failure`));
    return;
  }
  /** @type {{ numPassedTests: number, numFailedTests: number, numRuntimeErrorTestSuites: number, numPendingTests: number }} */
  const results = JSON.parse(readFileSync(output, 'utf8'));
  // A suite that could not run (syntax error, failing import, beforeAll outside tests) counts as failed.
  let kindFailed = results.numFailedTests + results.numRuntimeErrorTestSuites;
  if (code !== 0 && kindFailed === 0) kindFailed = 1; // Jest failed for a reason its counts do not show.
  passed += results.numPassedTests;
  failed += kindFailed;
  const line = `${kind}: ${results.numPassedTests} passed, ${kindFailed} failed${results.numPendingTests ? `, ${results.numPendingTests} skipped` : ''}`;
  report.push(kindFailed > 0 ? paint('red', line) : line);
}

/**
 * The fault suite's short run (tools/chaos): 60 s of load through every channel while services are
 * killed and paused and Kafka and PostgreSQL restarted, on infrastructure of its own. It counts as one
 * test: nothing lost, nothing duplicated, every check held. CHAOS_SEED replays a printed seed.
 */
async function runChaosStage() {
  section('Fault suite (chaos, short run)');
  const seed = process.env.CHAOS_SEED ? ['--seed', process.env.CHAOS_SEED] : [];
  const code = await run(process.execPath, [
    'tools/chaos/chaos.mjs',
    '--seconds',
    '60',
    '--skip-build',
    ...seed,
  ]);
  if (code === 0) {
    passed += 1;
    report.push('chaos: 1 passed, 0 failed');
  } else {
    failed += 1;
    report.push(paint('red', `chaos: 0 passed, 1 failed (exit ${code}; the table and the seed are above)`));
  }
}

/** The portal's component tests (Vitest, jsdom): one count per test, like Jest's. */
async function runComponentStage() {
  section('Vitest: component');
  const output = join(workDir, 'vitest-component.json');
  const code = await run('npx', [
    'vitest',
    'run',
    '--config',
    'apps/portal/web/vite.config.ts',
    ...['--configLoader', 'runner'],
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${output}`,
  ]);
  if (!existsSync(output)) {
    failed += 1;
    report.push(
      paint('red', `component: Vitest did not produce results (exit ${code}); counted as 1 failure`),
    );
    return;
  }
  /** @type {{ numPassedTests: number, numFailedTests: number, numPendingTests: number, numTodoTests?: number }} */
  const results = JSON.parse(readFileSync(output, 'utf8'));
  let kindFailed = results.numFailedTests;
  if (code !== 0 && kindFailed === 0) kindFailed = 1;
  passed += results.numPassedTests;
  failed += kindFailed;
  const line = `component: ${results.numPassedTests} passed, ${kindFailed} failed`;
  report.push(kindFailed > 0 ? paint('red', line) : line);
}

/**
 * The browser tests need Debian's Chromium (a test tool's own browser download cannot work here):
 * installed with apt-get when missing and this runs as root, else the stage fails saying what to install.
 */
async function runBrowserStage() {
  section('Browser: Chromium');
  if (!existsSync(CHROMIUM_PATH) && CHROMIUM_PATH === '/usr/bin/chromium' && process.getuid?.() === 0) {
    log("Chromium is missing: installing Debian's chromium package with apt-get (a minute or two)");
    const aptGet = (/** @type {string[]} */ args) =>
      run('apt-get', args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).catch(() => 127);
    const install = ['install', '-y', 'chromium'];
    // The package lists may be missing or stale on a fresh machine: update once, then try again.
    let code = await aptGet(install);
    if (code !== 0) code = (await aptGet(['update'])) || (await aptGet(install));
    if (code !== 0) log(paint('red', `apt-get install chromium failed (exit ${code})`));
  }
  if (!existsSync(CHROMIUM_PATH)) {
    failed += 1;
    report.push(
      paint(
        'red',
        `browser: no Chromium at ${CHROMIUM_PATH}; install Debian's \`chromium\` package (apt-get install chromium) ` +
          'or set CHROMIUM_PATH (counted as 1 failure)',
      ),
    );
    return;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const artifacts = join(repoRoot, '.data', 'test-artifacts', stamp);
  mkdirSync(artifacts, { recursive: true });
  log(`Screenshots and other artifacts: ${artifacts}`);
  await runJest('browser', { CHROMIUM_PATH, TEST_ARTIFACTS_DIR: artifacts });
  report.push(`browser artifacts (screenshots): ${artifacts}`);
}

/** schemathesis against the running services; each failing check is one failure. */
async function runFuzzStage() {
  section('Fuzz: schemathesis');
  const { runFuzz } = await import('./fuzz.mjs');
  const outcome = await runFuzz({ infra: /** @type {import('./infra.mjs').Infra} */ (infra), workDir, log });
  passed += outcome.passed;
  failed += outcome.failed;
  report.push(...outcome.report);
}

function printSummary() {
  section('Summary');
  if (interrupted) report.push(paint('red', 'interrupted'));
  if (passed === 0 && failed === 0) report.push(paint('red', 'no test ran'));
  for (const line of report) console.log(line);
  console.log(`${passed} passed, ${failed} failed`);
}

/**
 * @param {string} message
 * @param {number} code
 * @returns {never}
 */
function finish(message, code) {
  console.error(paint(['red', 'bold'], `!!! ${message}`));
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(code);
}

/**
 * A run that was killed (say, a cancelled CI job) cannot stop its Kafka and MailDev or remove its
 * folder; the next run does. (Its Postgres stops by itself when its parent goes away.)
 */
async function reclaimAbandonedRuns() {
  if (!existsSync(runsDir)) return;
  for (const file of readdirSync(runsDir)) {
    const owner = Number(file.replace('.json', ''));
    if (isAlive(owner)) continue;
    const { workDir: abandoned } = JSON.parse(readFileSync(join(runsDir, file), 'utf8'));
    await pidFile.reclaim(join(abandoned, 'kafka', 'broker.pid'), {
      name: 'Kafka broker',
      marker: abandoned,
      log,
    });
    await pidFile.reclaim(join(abandoned, 'maildev', 'maildev.pid'), {
      name: 'MailDev',
      marker: abandoned,
      log,
    });
    rmSync(abandoned, { recursive: true, force: true });
    rmSync(join(runsDir, file), { force: true });
  }
}
