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
