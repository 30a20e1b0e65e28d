import 'reflect-metadata';
import { createDataSource, migrate, poolOf } from '@otl/event-store';
import { EnvReader, ConfigError } from '@otl/platform';
import { licenseMigrations } from '../infrastructure/migrations';
import { rebuildReadModels } from './rebuild';

/** Operator command: `npm run license:rebuild-read-model` rebuilds the portal's tables from the log. */
async function main(): Promise<void> {
  const env = new EnvReader();
  const url = env.url('DATABASE_URL', { protocols: ['postgres', 'postgresql'] });
  env.done();
  const dataSource = createDataSource({ url, migrations: licenseMigrations, poolSize: 2 });
  await dataSource.initialize();
  try {
    await migrate(dataSource);
    const started = performance.now();
    const result = await rebuildReadModels(poolOf(dataSource));
    process.stdout.write(
      `Rebuilt the license read models from ${result.events} events: ${result.items} items, ` +
        `${result.licenses} licences, in ${((performance.now() - started) / 1000).toFixed(1)} s.\n`,
    );
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    error instanceof ConfigError
      ? `license:rebuild-read-model: ${error.message}\n`
      : `license:rebuild-read-model failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(error instanceof ConfigError ? 78 : 1);
});
