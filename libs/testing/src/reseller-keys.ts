import { runBuiltCommand } from './staff';

export interface ResellerKey {
  key: string;
  keyId: string;
  resellerId: string;
  /** Everything the command printed. */
  output: string;
}

const SCRIPTS = 'dist/out-tsc/apps/reseller-intake/src/keys';

/** `npm run reseller:create-key -- --reseller <name>` as built, against reseller-intake's database. */
export async function createResellerKey(databaseUrl: string, reseller: string): Promise<ResellerKey> {
  const { code, stdout, stderr } = await runBuiltCommand(
    `${SCRIPTS}/create-key.js`,
    ['--reseller', reseller],
    {
      DATABASE_URL: databaseUrl,
    },
  );
  const key = /^(rsk_\S+)$/m.exec(stdout)?.[1];
  const keyId = /^Key id: (\S+)$/m.exec(stdout)?.[1];
  const resellerId = /\(([0-9a-f-]{36})\)/.exec(stdout)?.[1];
  if (code !== 0 || !key || !keyId || !resellerId) {
    throw new Error(`reseller:create-key exited ${code}: ${stdout}${stderr}`);
  }
  return { key, keyId, resellerId, output: stdout };
}

/** `npm run reseller:revoke-key -- --key-id <id>` or `reseller:list-keys`, as built: exit code and output. */
export function resellerKeyCommand(
  databaseUrl: string,
  command: 'revoke-key' | 'list-keys',
  args: string[] = [],
) {
  return runBuiltCommand(`${SCRIPTS}/${command}.js`, args, { DATABASE_URL: databaseUrl });
}
