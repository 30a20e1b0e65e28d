// A reseller API key made the way an operator makes one, for the tools that run the built platform
// (the fuzz stage, the benchmarks): `reseller:create-key` as built, against reseller-intake's
// database. Specs have the same in libs/testing (createResellerKey).
import { spawn } from 'node:child_process';
import { repoRoot } from './bootstrap.mjs';

/**
 * @param {{ databaseUrl: string, reseller: string }} options
 * @returns {Promise<{ key: string, keyId: string, resellerId: string }>}
 */
export async function createResellerKey({ databaseUrl, reseller }) {
  const output = await new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '-r',
        './tools/runtime/register-aliases.cjs',
        'dist/out-tsc/apps/reseller-intake/src/keys/create-key.js',
        '--reseller',
        reseller,
      ],
      {
        cwd: repoRoot,
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let text = '';
    child.stdout.on('data', (chunk) => (text += chunk));
    child.stderr.on('data', (chunk) => (text += chunk));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(text) : reject(new Error(`create-key exited ${code}: ${text}`)),
    );
  });
  const key = /^(rsk_\S+)$/m.exec(output)?.[1];
  const keyId = /^Key id: (\S+)$/m.exec(output)?.[1];
  const resellerId = /\(([0-9a-f-]{36})\)/.exec(output)?.[1];
  if (!key || !keyId || !resellerId) throw new Error(`create-key printed no key: ${output}`);
  return { key, keyId, resellerId };
}
