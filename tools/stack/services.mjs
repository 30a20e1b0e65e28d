// The services `npm start` runs. Add a service here and the stack creates its database and topics,
// starts it, waits for it and lists it; `npm test` creates its topics on the test broker.

/**
 * @typedef {object} ServiceSpec
 * @property {string} name      short name: log prefix and row in the start-up table
 * @property {number} port      HTTP port, passed as PORT
 * @property {string} database  its own Postgres database, passed as DATABASE_URL (created if missing)
 * @property {string} main      compiled entry point relative to the repo root, run with
 *                              `node -r ./tools/runtime/register-aliases.cjs <main>`
 * @property {string[]} topics  Kafka topics it publishes to or consumes from; each is created
 *                              together with its dead-letter topic `<topic>.dlq`
 * @property {string[]} produces  topics its outbox forwarder publishes to
 * @property {Record<string, string[]>} consumes  consumer group => topics it reads with that group; a
 *                              consumer also writes the dead-letter topic of each topic it reads
 * @property {Record<string, string>} [calls]  environment variable => name of the service whose base
 *                              URL it holds: the HTTP calls this service makes to others
 * @property {Record<string, SecretKind>} [secrets]  local-only secrets it needs, generated once into
 *                              .data/secrets.env and passed as environment variables
 */

/**
 * `whsec`: a Standard Webhooks signing secret, `whsec_` + base64 of 24 random bytes.
 * `hex32`: 32 random bytes as hex.
 * `ed25519`: an Ed25519 private key, base64 of its PKCS#8 PEM.
 * @typedef {'whsec' | 'hex32' | 'ed25519'} SecretKind
 */

/**
 * Node.js flags every service runs with: `npm start`, the fault suite, the fuzz stage, the benchmarks
 * and the image (the Dockerfile's ENTRYPOINT, checked by tools/deploy/docker.deploy.spec.ts). V8 lets
 * the young generation grow to semi-spaces of 16 MB each, and a NestJS start-up grows it that far:
 * capped at 4 MB, a service at rest holds about 100 MB of RSS instead of 130 to 150 MB
 * (tools/bench/README.md, "The whole pipeline").
 */
export const serviceNodeArgs = ['--max-semi-space-size=4'];

/** @type {ServiceSpec[]} */
export const services = [
  {
    name: 'portal',
    port: 3100,
    database: 'portal',
    main: 'dist/out-tsc/apps/portal/src/main.js',
    topics: [],
    produces: [],
    consumes: {},
    calls: {
      ACCOUNT_URL: 'account',
      LICENSE_URL: 'license',
      TRACKING_URL: 'tracking',
      PO_INTAKE_URL: 'po-intake',
    },
    secrets: { PORTAL_SESSION_KEY: 'hex32' },
  },
  {
    name: 'store-webhook',
    port: 3101,
    database: 'store_webhook',
    main: 'dist/out-tsc/apps/store-webhook/src/main.js',
    topics: ['purchases.v1'],
    produces: ['purchases.v1'],
    consumes: {},
    secrets: { STORE_WEBHOOK_SECRET: 'whsec' },
  },
  {
    name: 'po-intake',
    port: 3102,
    database: 'po_intake',
    main: 'dist/out-tsc/apps/po-intake/src/main.js',
    topics: ['purchases.v1'],
    produces: ['purchases.v1'],
    consumes: {},
  },
  {
    name: 'reseller-intake',
    port: 3103,
    database: 'reseller_intake',
    main: 'dist/out-tsc/apps/reseller-intake/src/main.js',
    topics: ['purchases.v1', 'accounts.v1'],
    produces: ['purchases.v1'],
    consumes: { 'reseller-intake.assignments': ['accounts.v1'] },
  },
  {
    name: 'account',
    port: 3104,
    database: 'account',
    main: 'dist/out-tsc/apps/account/src/main.js',
    topics: ['purchases.v1', 'accounts.v1'],
    produces: ['accounts.v1'],
    consumes: { 'account.purchases': ['purchases.v1'] },
    secrets: { ACCESS_TOKEN_SIGNING_KEY: 'ed25519' },
  },
  {
    name: 'license',
    port: 3105,
    database: 'license',
    main: 'dist/out-tsc/apps/license/src/main.js',
    topics: ['purchases.v1', 'accounts.v1', 'licenses.v1'],
    produces: ['licenses.v1'],
    consumes: { 'license.purchases': ['purchases.v1', 'accounts.v1'] },
    secrets: { LICENSE_SIGNING_KEY: 'ed25519' },
  },
  {
    name: 'tracking',
    port: 3106,
    database: 'tracking',
    main: 'dist/out-tsc/apps/tracking/src/main.js',
    topics: ['licenses.v1', 'usage.v1'],
    produces: ['usage.v1'],
    consumes: { 'tracking.licenses': ['licenses.v1'] },
  },
];

/**
 * Every topic the services need, with their dead-letter topics.
 * @param {ServiceSpec[]} [list]
 */
export function allTopics(list = services) {
  return [...new Set(list.flatMap((service) => service.topics.flatMap((topic) => [topic, `${topic}.dlq`])))];
}
