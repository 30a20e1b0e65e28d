// A reseller API key made the way an operator makes one, for the tools that run the built platform
// (the fuzz stage, the benchmarks): `reseller:create-key` as built, against reseller-intake's
// database. Specs have the same in libs/testing (createResellerKey).
import { runOperatorCommand } from './operator-command.mjs';

/**
 * @param {{ databaseUrl: string, reseller: string }} options
 * @returns {Promise<{ key: string, keyId: string, resellerId: string }>}
 */
export async function createResellerKey({ databaseUrl, reseller }) {
  const output = await runOperatorCommand(
    'dist/out-tsc/apps/reseller-intake/src/keys/create-key.js',
    ['--reseller', reseller],
    { DATABASE_URL: databaseUrl },
  );
  const key = /^(rsk_\S+)$/m.exec(output)?.[1];
  const keyId = /^Key id: (\S+)$/m.exec(output)?.[1];
  const resellerId = /\(([0-9a-f-]{36})\)/.exec(output)?.[1];
  if (!key || !keyId || !resellerId) throw new Error(`create-key printed no key: ${output}`);
  return { key, keyId, resellerId };
}
