// Starts and stops the local infrastructure as one unit, for `npm start` and `npm test`.
import { join } from 'node:path';
import { ensureKafkaJars, ensureTopics, startKafka } from '../infra/kafka.mjs';
import { startMaildev } from '../infra/maildev.mjs';
import { usePostgres } from '../infra/postgres.mjs';
import { logger } from './bootstrap.mjs';

/**
 * @typedef {object} InfraOptions
 * @property {string} dataDir       holds postgres/, kafka/ and maildev/
 * @property {number} postgresPort
 * @property {string} [databaseUrl] use this server instead of an embedded one
 * @property {number} kafkaPort
 * @property {number} kafkaControllerPort
 * @property {string} [kafkaBrokers] use this cluster instead of a local broker
 * @property {number} partitions
 * @property {number} smtpPort
 * @property {number} webPort
 */

/**
 * @typedef {object} Infra
 * @property {string} adminUrl   Postgres superuser URL (database `postgres`)
 * @property {boolean} embeddedPostgres
 * @property {string} brokers
 * @property {string} smtpUrl
 * @property {string} maildevUrl MailDev web UI and REST API
 * @property {{ name: string, exited: Promise<import('../infra/process.mjs').Exit> }[]} watch
 *   the processes whose exit breaks the stack
 * @property {() => Promise<void>} stop  Kafka first (it may still be flushing), then the rest
 */

/**
 * Starts Postgres, Kafka and MailDev side by side. If one fails, the others are stopped again.
 * @param {InfraOptions} options
 * @returns {Promise<Infra>}
 */
export async function startInfra(options) {
  // Fetch the jars before anything else runs, so the first-run message is not buried.
  if (!options.kafkaBrokers) await ensureKafkaJars({ log: logger('kafka') });

  const [postgres, kafka, maildev] = await Promise.allSettled([
    usePostgres({
      databaseUrl: options.databaseUrl,
      port: options.postgresPort,
      dataDir: join(options.dataDir, 'postgres'),
      log: logger('postgres'),
    }),
    options.kafkaBrokers
      ? Promise.resolve(undefined)
      : startKafka({
          port: options.kafkaPort,
          controllerPort: options.kafkaControllerPort,
          dataDir: join(options.dataDir, 'kafka'),
          partitions: options.partitions,
          log: logger('kafka'),
        }),
    startMaildev({
      smtpPort: options.smtpPort,
      webPort: options.webPort,
      dataDir: join(options.dataDir, 'maildev'),
      log: logger('maildev'),
    }),
  ]);

  const results = [postgres, kafka, maildev];
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
  if (failures.length > 0) {
    await Promise.all(
      results.map((result) => (result.status === 'fulfilled' ? result.value?.stop() : undefined)),
    );
    throw new AggregateError(
      failures,
      failures.map((error) => (error instanceof Error ? error.message : String(error))).join('\n'),
    );
  }
  const pg = /** @type {PromiseFulfilledResult<import('../infra/postgres.mjs').Postgres>} */ (postgres).value;
  const broker = /** @type {PromiseFulfilledResult<Awaited<ReturnType<typeof startKafka>> | undefined>} */ (
    kafka
  ).value;
  const mail = /** @type {PromiseFulfilledResult<Awaited<ReturnType<typeof startMaildev>>>} */ (maildev)
    .value;

  return {
    adminUrl: pg.adminUrl,
    embeddedPostgres: pg.embedded,
    brokers: broker?.brokers ?? /** @type {string} */ (options.kafkaBrokers),
    smtpUrl: mail.smtpUrl,
    maildevUrl: mail.apiUrl,
    watch: [
      ...(pg.embedded ? [{ name: 'Postgres', exited: pg.exited }] : []),
      ...(broker ? [{ name: 'Kafka', exited: broker.exited }] : []),
      { name: 'MailDev', exited: mail.exited },
    ],
    async stop() {
      await broker?.stop();
      await Promise.all([pg.stop(), mail.stop()]);
    },
  };
}

export { ensureTopics };
