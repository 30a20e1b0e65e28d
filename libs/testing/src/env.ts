import { ConfigError } from '@otl/platform';
/** Integration and end-to-end specs run against the servers that `npm test` starts. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run the suite through \`npm test\`, which starts Postgres, Kafka and MailDev`,
    );
  }
  return value;
}

let counter = 0;
/** A name no other spec (or earlier run against the same broker) uses. */
export function uniqueName(prefix: string): string {
  counter++;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter}`.toLowerCase();
}

/** The problems a configuration loader reports (its ConfigError); fails when it reports none. */
export function configProblems(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
