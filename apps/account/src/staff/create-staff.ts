import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { EventStore, announceAppended, createDataSource, migrate, poolOf } from '@otl/event-store';
import { ConfigError } from '@otl/platform';
import { AccountError, staffRoles, type StaffRole } from '../accounts/domain/account';
import { AccountService } from '../accounts/account.service';
import { loadCoreConfig } from '../config';
import { accountMigrations } from '../infrastructure/migrations';
import { linkFor } from '../mail/templates';

const USAGE = `usage: npm run account:create-staff -- --email <email> --role <${staffRoles.join('|')}>`;

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/**
 * Operator command: creates or updates a staff account and prints a set-password link (also mailed:
 * the running account service sends it from the outbox). Customers with purchases never get a role.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { email: { type: 'string' }, role: { type: 'string' } } });
  const email = values.email?.trim();
  const role = values.role as StaffRole | undefined;
  if (!email || !/^[^\s@]+@[^\s@]+$/.test(email)) fail(`--email must be an email address\n${USAGE}`, 64);
  if (!role || !staffRoles.includes(role))
    fail(`--role must be one of ${staffRoles.join(', ')}\n${USAGE}`, 64);

  let config;
  try {
    config = loadCoreConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(`account:create-staff: ${error.message}`, 78);
    throw error;
  }
  const dataSource = createDataSource({
    url: config.databaseUrl,
    migrations: accountMigrations,
    poolSize: 2,
  });
  await dataSource.initialize();
  try {
    await migrate(dataSource);
    const accounts = new AccountService({
      store: new EventStore(poolOf(dataSource)),
      tokenTtlSeconds: config.tokenTtlSeconds,
    });
    const { accountId, token } = await accounts.makeStaff(email, role);
    // The running service's forwarder sleeps until a writer wakes it.
    await announceAppended(poolOf(dataSource));
    const link = linkFor('staff-invite', config.portalUrl, token.raw);
    process.stdout.write(
      `Staff account ${accountId} (${email}) has role ${role}.\n` +
        `Set-password link (also mailed; works once, until ${token.expiresAt.toISOString()}):\n${link}\n`,
    );
  } catch (error) {
    if (error instanceof AccountError) fail(`account:create-staff: ${error.message}`, 65);
    throw error;
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  fail(
    `account:create-staff failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    1,
  );
});
