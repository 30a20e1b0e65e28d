#!/usr/bin/env node
// `npm run reconcile [-- --stuck-after 15m] [--json]`: compares what every service holds, against the
// local stack (`npm start`) or, with DATABASE_URL and KAFKA_BROKERS set, the servers they name (each
// service's database on that server, as the stack names them). Read-only. Exit code 0 when nothing is
// stuck, inconsistent or dead-lettered, 1 when something is, 2 when it could not read the platform.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readEnvFile } from '../stack/env.mjs';
import { repoRoot } from '../stack/bootstrap.mjs';
import { redact, withDatabase } from '../infra/postgres.mjs';
import { format, needsAttention, reconcilePlatform } from './reconcile.mjs';

const USAGE = `usage: npm run reconcile -- [--stuck-after <15m|90s|2h|1d>] [--json]
  --stuck-after  a purchase not through after this long is listed as stuck (default 15m)
  --json         print the result as JSON instead of the report`;

/** @param {string} text seconds, or a number with s, m, h or d */
export function parseDuration(text) {
  const match = /^(\d+(?:\.\d+)?)(s|m|h|d)?$/.exec(text.trim());
  if (!match) throw new Error(`--stuck-after: "${text}" is not a duration like 90s, 15m, 2h or 1d`);
  const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[match[2] ?? 's'] ?? 1;
  return Number(match[1]) * unit;
}

let options;
try {
  ({ values: options } = parseArgs({
    options: {
      'stuck-after': { type: 'string', default: '15m' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (error) {
  console.error(`${error instanceof Error ? error.message : error}\n${USAGE}`);
  process.exit(64);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
let stuckAfterSeconds;
try {
  stuckAfterSeconds = parseDuration(String(options['stuck-after']));
} catch (error) {
  console.error(`${error instanceof Error ? error.message : error}\n${USAGE}`);
  process.exit(64);
}

const settings = { ...readEnvFile(join(repoRoot, '.env.defaults')), ...process.env };
const server =
  process.env.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${settings.POSTGRES_PORT}/postgres`;
const brokers = String(settings.KAFKA_BROKERS);
let result;
try {
  result = await reconcilePlatform({
    databaseUrl: (database) => withDatabase(server, database),
    brokers,
    stuckAfterSeconds,
  });
} catch (error) {
  console.error(
    `could not read the platform (Postgres ${redact(server)}, Kafka ${brokers}): ${
      error instanceof Error ? error.message : error
    }\nIs the stack running (npm start)?`,
  );
  process.exit(2);
}
console.log(options.json ? JSON.stringify(result, null, 2) : format(result, stuckAfterSeconds));
process.exit(needsAttention(result) ? 1 : 0);
