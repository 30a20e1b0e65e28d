import { parseArgs } from 'node:util';
import { fail, runCommand, withKeyAdministration } from './operator';

const COMMAND = 'reseller:create-key';
const USAGE = 'usage: npm run reseller:create-key -- --reseller <name>';

/** Operator command: creates the reseller if new and prints a new API key, once. */
runCommand(COMMAND, async () => {
  const { values } = parseArgs({ options: { reseller: { type: 'string' } } });
  const name = values.reseller?.trim() ?? '';
  if (!/^[^\p{Cc}]{1,200}$/u.test(name)) fail(`--reseller must be a name of 1–200 characters\n${USAGE}`, 64);
  await withKeyAdministration(COMMAND, async (keys) => {
    const issued = await keys.issue(name);
    process.stdout.write(
      `Reseller ${name} (${issued.resellerId})${issued.created ? ', new' : ''}.\n` +
        `Key id: ${issued.keyId}\n` +
        'API key (shown only now; only its hash is kept, so store it in the reseller’s secret store):\n' +
        `${issued.key}\n` +
        `Revoke it with: npm run reseller:revoke-key -- --key-id ${issued.keyId}\n`,
    );
  });
});
