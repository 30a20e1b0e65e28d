// Runs a built operator command (`node -r register-aliases dist/…`) the way `npm run …` does, for the
// tools that run the built platform (the fuzz stage, the benchmarks). Specs use libs/testing's
// runBuiltCommand instead, which the same commands run through.
import { spawn } from 'node:child_process';
import { repoRoot } from './bootstrap.mjs';

/**
 * Resolves with what the command printed (stdout and stderr) when it exits 0; rejects with it otherwise.
 * @param {string} script  compiled script relative to the repository root
 * @param {string[]} args
 * @param {Record<string, string>} env  added to PATH only: nothing else of this process leaks in
 * @returns {Promise<string>}
 */
export function runOperatorCommand(script, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', './tools/runtime/register-aliases.cjs', script, ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (chunk) => (text += chunk));
    child.stderr.on('data', (chunk) => (text += chunk));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(text) : reject(new Error(`${script} exited ${code}: ${text}`)),
    );
  });
}
