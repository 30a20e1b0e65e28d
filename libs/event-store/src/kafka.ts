import type { KafkaSecurity } from '@otl/platform';
import { Kafka, logLevel, type Admin, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import { applyKafkajsIdleFixes } from './kafkajs-idle';
import type { Logger } from './logger';

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** SASL and TLS (CommonConfig.kafkaSecurity); plaintext without authentication when absent. */
  security?: KafkaSecurity;
}

/** The kafkajs `ssl` and `sasl` settings for the configured security (none when it is empty). */
export function kafkaConnectionSettings(security: KafkaSecurity = {}): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const settings: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  // The certificate's host name is verified against the broker address (Node's default).
  if (security.tls) settings.ssl = security.tls.ca === undefined ? true : { ca: [security.tls.ca] };
  if (security.sasl) {
    const { mechanism, username, password } = security.sasl;
    const sasl: SASLOptions = { mechanism, username, password };
    settings.sasl = sasl;
  }
  return settings;
}

/**
 * A kafkajs client whose own log lines go through the service logger, without kafkajs's idle timer
 * loops (see kafkajs-idle.ts).
 */
export function createKafka({ brokers, clientId, logger, security }: KafkaOptions): Kafka {
  applyKafkajsIdleFixes();
  return new Kafka({
    clientId,
    brokers,
    ...kafkaConnectionSettings(security),
    connectionTimeout: 3000,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, namespace, log }: LogEntry) => {
        const { message, ...extra } = log;
        const fields = { kafka: namespace, ...extra };
        // Delivery is at-least-once by design (consumers dedupe on event id), so bounded
        // producer retries are intended, not a lost exactly-once guarantee.
        if (message.startsWith('Limiting retries for the idempotent producer'))
          return logger.debug(fields, message);
        // A broker that has just started answers this while it loads its coordinators;
        // kafkajs retries, so it is a warning, not an error to page anyone about.
        if (/coordinator is loading/i.test(String(extra['error'] ?? ''))) return logger.warn(fields, message);
        if (level <= logLevel.ERROR) logger.error(fields, message);
        else if (level === logLevel.WARN) logger.warn(fields, message);
        else logger.debug(fields, message);
      },
  });
}

/**
 * Creates the topics explicitly (kafkajs on KRaft fails when it subscribes to a topic
 * that auto-creation is still making) and waits until their metadata is served.
 */
export async function ensureTopics(
  kafka: Kafka,
  topics: readonly string[],
  numPartitions: number,
): Promise<void> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions, replicationFactor: 1 })),
      });
    }
    await admin.fetchTopicMetadata({ topics: [...topics] });
  } finally {
    await admin.disconnect();
  }
}
