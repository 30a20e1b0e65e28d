// First steps of `npm start` and `npm test`. Node built-ins only: on a fresh clone this runs before
// node_modules exists, so nothing here may import a package.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { styleText } from 'node:util';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const color = process.stdout.isTTY && !process.env.NO_COLOR;
/**
 * @param {Parameters<typeof styleText>[0]} style
 * @param {string} text
 */
export const paint = (style, text) => (color ? styleText(style, text) : text);

/** @param {string} title */
export function section(title) {
  console.log(`\n${paint('bold', `=== ${title} ===`)}`);
}

/**
 * A logger that prefixes each line with the component's name.
 * @param {string} name
 * @returns {(message: string) => void}
 */
export function logger(name) {
  const prefix = paint('dim', `[${name}]`);
  return (message) => {
    for (const line of String(message).split('\n')) console.log(`${prefix} ${line}`);
  };
}

/**
 * Runs a command with the terminal attached; resolves with its exit code.
 * @param {string} command
 * @param {string[]} args
 * @param {import('node:child_process').SpawnOptions} [options]
 * @returns {Promise<number>}
 */
export function run(command, args, options = {}) {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: 'inherit', ...options });
    child.on('error', fail);
    child.on('close', (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}

/**
 * Runs `npm ci` when node_modules is missing or older than package-lock.json (npm writes
 * node_modules/.package-lock.json on every install, so its age is the install's age).
 */
export async function ensureInstalled() {
  const lock = join(repoRoot, 'package-lock.json');
  const installed = join(repoRoot, 'node_modules', '.package-lock.json');
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) return;
  section('Install');
  console.log(
    existsSync(installed)
      ? 'package-lock.json is newer than node_modules: running npm ci'
      : 'No node_modules yet: running npm ci (first run only, takes a minute or two)',
  );
  const code = await run('npm', ['ci']);
  if (code !== 0) throw new Error(`npm ci failed (exit ${code})`);
}

/**
 * Compiles the TypeScript projects into dist/out-tsc.
 * @returns {Promise<boolean>} whether the build succeeded
 */
export async function build() {
  section('Build');
  const started = Date.now();
  const code = await run('npm', ['run', '--silent', 'build']);
  if (code === 0) {
    console.log(`Build finished in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return true;
  }
  console.log(paint(['red', 'bold'], `Build failed (tsc exit ${code}); the TypeScript errors are above.`));
  return false;
}
