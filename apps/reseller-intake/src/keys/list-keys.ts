import { runCommand, withKeyAdministration } from './operator';

const COMMAND = 'reseller:list-keys';

const when = (date: Date | null) => (date ? date.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');

/** Operator command: every key (id, reseller, created, last used, revoked), never a secret. */
runCommand(COMMAND, async () => {
  await withKeyAdministration(COMMAND, async (keys) => {
    const listing = await keys.list();
    if (listing.length === 0) {
      process.stdout.write('No reseller keys yet (npm run reseller:create-key -- --reseller <name>).\n');
      return;
    }
    const rows = [
      ['KEY ID', 'RESELLER', 'CREATED', 'LAST USED', 'REVOKED'],
      ...listing.map((key) => [
        key.keyId,
        key.reseller,
        when(key.createdAt),
        when(key.lastUsedAt),
        when(key.revokedAt),
      ]),
    ];
    const widths = Array.from({ length: 5 }, (_v, column) =>
      Math.max(...rows.map((row) => (row[column] ?? '').length)),
    );
    const text = rows.map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    );
    process.stdout.write(`${text.join('\n')}\n`);
    process.stdout.write(`Last used is kept to within 10 seconds.\n`);
  });
});
