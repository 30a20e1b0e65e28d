import { parseArgs } from 'node:util';
import { fail, runCommand, withKeyAdministration } from './operator';

const COMMAND = 'reseller:revoke-key';
const USAGE = 'usage: npm run reseller:revoke-key -- --key-id <key id>';

/** Operator command: revokes a key; every instance refuses it from the next request on. */
runCommand(COMMAND, async () => {
  const { values } = parseArgs({ options: { 'key-id': { type: 'string' } } });
  const keyId = values['key-id']?.trim() ?? '';
  if (!keyId) fail(`--key-id is required\n${USAGE}`, 64);
  await withKeyAdministration(COMMAND, async (keys) => {
    const revoked = await keys.revoke(keyId);
    if (!revoked) fail(`${COMMAND}: no key ${keyId} (npm run reseller:list-keys lists them)`, 65);
    process.stdout.write(
      revoked.already
        ? `Key ${keyId} of ${revoked.reseller} was already revoked (${revoked.revokedAt.toISOString()}).\n`
        : `Key ${keyId} of ${revoked.reseller} revoked at ${revoked.revokedAt.toISOString()}; it is refused from now on.\n`,
    );
  });
});
