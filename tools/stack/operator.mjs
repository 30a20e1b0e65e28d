#!/usr/bin/env node
// Runs an operator command of a service against the local stack's database (or DATABASE_URL's
// server, when set): `node tools/stack/operator.mjs <service> <compiled script> [args...]`.
// The package.json scripts (e.g. `npm run account:create-staff -- --email … --role …`) call this.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { build, ensureInstalled, repoRoot } from './bootstrap.mjs';

const [serviceName, script, ...args] = process.argv.slice(2);
const { services } = await import('./services.mjs');
const { readEnvFile } = await import('./env.mjs');
const { withDatabase } = await import('../infra/postgres.mjs');
const service = services.find((candidate) => candidate.name === serviceName);
if (!service || !script) {
  console.error('usage: node tools/stack/operator.mjs <service> <compiled script> [args...]');
  process.exit(64);
}
await ensureInstalled();
if (!(await build())) process.exit(1);

const settings = { ...readEnvFile(join(repoRoot, '.env.defaults')), ...process.env };
// The embedded server's local-only superuser (see tools/infra/run-postgres.mjs).
const server =
  process.env.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${settings.POSTGRES_PORT}/postgres`;
const result = spawnSync(
  process.execPath,
  [
    '-r',
    './tools/runtime/register-aliases.cjs',
    join('dist/out-tsc/apps', service.name, 'src', script),
    ...args,
  ],
  {
    cwd: repoRoot,
    stdio: 'inherit',
    env: { ...settings, LOG_LEVEL: 'warn', DATABASE_URL: withDatabase(server, service.database) },
  },
);
process.exit(result.status ?? 1);
