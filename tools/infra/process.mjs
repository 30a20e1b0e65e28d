// Small process helpers shared by the local infrastructure (Kafka, Postgres, MailDev) and the stack.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** @typedef {(message: string) => void} Log */

/** @type {Log} */
export const defaultLog = (message) => console.log(message);

/**
 * Spawns a long-running child in its own process group (`detached`), so a Ctrl-C in the terminal
 * reaches only the orchestrator, which then stops the children in a sensible order itself.
 * @param {string} command
 * @param {string[]} args
 * @param {import('node:child_process').SpawnOptions} [options]
 */
export function spawnDaemon(command, args, options = {}) {
  return spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options, detached: true });
}

/** @param {number} pid */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
}

/** @param {number} pid */
export function commandLine(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** @typedef {{ code: number | null, signal: NodeJS.Signals | null }} Exit */

/**
 * Resolves once the child has exited (immediately if it already has).
 * @param {import('node:child_process').ChildProcess} child
 * @returns {Promise<Exit>}
 */
export function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** @param {Exit} exit */
export function describeExit({ code, signal }) {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}

/**
 * Asks a process to stop and waits for it; kills its whole process group when it does not stop in
 * time, so nothing it started is left behind.
 * @param {import('node:child_process').ChildProcess} child
 * @param {{ name: string, signal?: NodeJS.Signals, timeoutMs?: number, log?: Log }} options
 */
export async function stopChild(child, { name, signal = 'SIGTERM', timeoutMs = 20_000, log = defaultLog }) {
  const done = exited(child);
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill(signal);
  const timer = sleep(timeoutMs, 'timeout', { ref: false });
  if ((await Promise.race([done, timer])) === 'timeout' && child.pid) {
    log(`${name} did not stop within ${timeoutMs / 1000}s; killing it`);
    killGroup(child.pid, 'SIGKILL');
    await done;
  }
}

/**
 * @param {number} pid
 * @param {NodeJS.Signals} signal
 */
export function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Whether a port is free on 127.0.0.1; the OS picks one for port 0.
 * @param {number} port
 * @returns {Promise<number | undefined>} the port when free
 */
export function freePort(port) {
  return new Promise((resolve) => {
    const server = createServer().once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(bound));
    });
  });
}

/**
 * Fails with a clear message when a port is taken: a readiness probe would otherwise happily talk to
 * whatever already listens there.
 * @param {string} what
 * @param {number[]} ports
 */
export async function assertPortsFree(what, ports) {
  for (const port of ports) {
    if ((await freePort(port)) === undefined)
      throw new Error(`${what}: port ${port} on 127.0.0.1 is already in use`);
  }
}

/**
 * Polls `check` until it returns a truthy value, fails fast when `abort` returns a message.
 * @template T
 * @param {() => Promise<T | undefined | false>} check
 * @param {{ timeoutMs: number, intervalMs?: number, abort?: () => string | undefined, onTimeout: () => string }} options
 * @returns {Promise<T>}
 */
export async function waitFor(check, { timeoutMs, intervalMs = 250, abort, onTimeout }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = abort?.();
    if (reason) throw new Error(reason);
    const result = await check().catch(() => undefined);
    if (result) return result;
    if (Date.now() > deadline) throw new Error(onTimeout());
    await sleep(intervalMs);
  }
}

/**
 * Last lines of a log file, for error messages.
 * @param {string} file
 * @param {number} [lines]
 */
export function tail(file, lines = 15) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log written)';
  }
}

/**
 * A pid file records the daemon's pid and the pid of the process that owns it. It lets the next run
 * tell a daemon orphaned by a killed orchestrator (owner gone: stop it) from one that another live
 * run still uses (owner alive: refuse, rather than fight over ports and data).
 */
export const pidFile = {
  /**
   * @param {string} file
   * @param {number} pid
   */
  write(file, pid) {
    writeFileSync(file, JSON.stringify({ pid, owner: process.pid }) + '\n');
  },
  /** @param {string} file */
  remove(file) {
    rmSync(file, { force: true });
  },
  /**
   * Stops an orphan left behind by an earlier run that was killed before it could clean up.
   * @param {string} file
   * @param {{ name: string, marker: string, signal?: NodeJS.Signals, log?: Log }} options
   *   `marker` must appear in the daemon's command line, so a reused pid is never killed.
   */
  async reclaim(file, { name, marker, signal = 'SIGTERM', log = defaultLog }) {
    if (!existsSync(file)) return;
    /** @type {{ pid: number, owner: number }} */
    const { pid, owner } = JSON.parse(readFileSync(file, 'utf8'));
    if (isAlive(pid) && commandLine(pid).includes(marker)) {
      if (owner !== process.pid && isAlive(owner)) {
        throw new Error(
          `${name} (pid ${pid}) already runs for another live process (pid ${owner}), using ${marker}; stop that first`,
        );
      }
      log(`Stopping ${name} (pid ${pid}) left over from an earlier run that did not shut down cleanly`);
      process.kill(pid, signal);
      const deadline = Date.now() + 30_000;
      while (isAlive(pid) && Date.now() < deadline) await sleep(200);
      if (isAlive(pid)) killGroup(pid, 'SIGKILL');
      while (isAlive(pid)) await sleep(100);
    }
    rmSync(file, { force: true });
  },
};
