import 'reflect-metadata';
import { EventStore, announceAppended, createDataSource, migrate, poolOf } from '@otl/event-store';
import { ConfigError, EnvReader } from '@otl/platform';
import { resellerIntakeMigrations } from '../app.module';
import { KeyAdministration } from './key-store';

export function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/**
 * Runs an operator command against reseller-intake's database (DATABASE_URL; `npm run reseller:…`
 * passes the local stack's), migrated first so a command works before the service ever started.
 */
export async function withKeyAdministration(
  command: string,
  work: (keys: KeyAdministration) => Promise<void>,
): Promise<void> {
  let databaseUrl: string;
  try {
    const env = new EnvReader(process.env);
    databaseUrl = env.url('DATABASE_URL', { protocols: ['postgres', 'postgresql'] });
    env.done();
  } catch (error) {
    if (error instanceof ConfigError) fail(`${command}: ${error.message}`, 78);
    throw error;
  }
  const dataSource = createDataSource({
    url: databaseUrl,
    migrations: resellerIntakeMigrations,
    poolSize: 2,
  });
  try {
    await dataSource.initialize();
  } catch (error) {
    fail(
      `${command}: cannot reach the database (${(error as Error).message}); is the stack running (npm start)?`,
      69,
    );
  }
  try {
    await migrate(dataSource);
    const pool = poolOf(dataSource);
    await work(new KeyAdministration(pool, new EventStore(pool)));
    await announceAppended(pool);
  } finally {
    await dataSource.destroy();
  }
}

export function runCommand(command: string, main: () => Promise<void>): void {
  main().catch((error: unknown) =>
    fail(`${command} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, 1),
  );
}
