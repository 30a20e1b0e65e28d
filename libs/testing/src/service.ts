import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { eventually } from './wait';

const ROOT = resolve(__dirname, '..', '..', '..');

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface RunningService {
  url: string;
  port: number;
  process: ChildProcess;
  /** Everything the process wrote, for assertions and for failure messages. */
  output(): string;
  /** SIGTERM and wait for exit (graceful shutdown). */
  stop(): Promise<number | null>;
  /** SIGKILL: no shutdown hooks run. */
  kill(): Promise<void>;
}

/**
 * Starts a compiled service (as `npm start` does: `node -r register-aliases <main.js>`)
 * and waits until it listens. The suite builds before running end-to-end specs.
 */
export async function startService(
  name: string,
  env: Record<string, string>,
  { waitFor = 'ready' as 'ready' | 'live', port }: { waitFor?: 'ready' | 'live'; port?: number } = {},
): Promise<RunningService> {
  const chosenPort = port ?? (await freePort());
  const main = join(ROOT, 'dist', 'out-tsc', 'apps', name, 'src', 'main.js');
  const child = spawn(
    process.execPath,
    ['-r', join(ROOT, 'tools', 'runtime', 'register-aliases.cjs'), main],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        ...env,
        PORT: String(chosenPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const url = `http://127.0.0.1:${chosenPort}`;
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
        const response = await fetch(`${url}/health/${waitFor}`);
        return response.status === 200 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: `${name} to become ${waitFor}` },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${String(error)}\n--- ${name} output ---\n${output}`);
  }
  return {
    url,
    port: chosenPort,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
