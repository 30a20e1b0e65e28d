// Which Postgres, Kafka and MailDev `npm test` runs the int, e2e, browser and fuzz tiers on, and the
// variables the specs get from them: the same names whichever it is, so the specs run unchanged.
//
//   TEST_INFRA=local (or unset)  local processes (tools/stack/infra.mjs): no Docker needed
//   TEST_INFRA=containers        Docker containers through testcontainers (tools/infra/containers.mjs)
//
// Only Node built-ins here: tools/stack/test.mjs reads the choice before node_modules is sure to exist.

/** @typedef {'local' | 'containers'} InfraChoice */

export const INFRA_CHOICES = /** @type {const} */ (['local', 'containers']);

/**
 * @param {Record<string, string | undefined>} env
 * @returns {InfraChoice}
 */
export function infraChoice(env) {
  const value = env.TEST_INFRA;
  if (value === undefined || value === '') return 'local';
  if (value === 'local' || value === 'containers') return value;
  throw new Error(
    `Unknown TEST_INFRA=${JSON.stringify(value)}; use local (the default: Postgres, Kafka and MailDev as ` +
      'local processes, no Docker needed) or containers (the same in Docker containers through ' +
      'testcontainers; needs a Docker engine)',
  );
}

/** What the specs read to reach the test infrastructure (besides NODE_ENV, set by test.mjs). */
export const SPEC_ENV_KEYS = /** @type {const} */ ([
  'TEST_PG_ADMIN_URL',
  'KAFKA_BROKERS',
  'SMTP_URL',
  'MAILDEV_API_URL',
]);

/**
 * The variables handed to Jest, from either infrastructure. Fails on a missing value rather than
 * passing the string "undefined" to every spec.
 * @param {{ adminUrl: string, brokers: string, smtpUrl: string, maildevUrl: string }} infra
 * @returns {Record<(typeof SPEC_ENV_KEYS)[number], string>}
 */
export function specEnv(infra) {
  const env = {
    TEST_PG_ADMIN_URL: infra.adminUrl,
    KAFKA_BROKERS: infra.brokers,
    SMTP_URL: infra.smtpUrl,
    MAILDEV_API_URL: infra.maildevUrl,
  };
  for (const [name, value] of Object.entries(env)) {
    if (typeof value !== 'string' || value === '') throw new Error(`The test infrastructure gave no ${name}`);
  }
  return env;
}
