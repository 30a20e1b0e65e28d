import { topics, type PublicCloudEvent } from '@otl/contracts';
import {
  EventPublisher,
  EventStore,
  InboxConsumer,
  createDataSource,
  createKafka,
  forwarderMetrics,
  migrate,
  poolOf,
  publicEventRouter,
} from '@otl/event-store';
import type { Logger, ReadinessCheck } from '@otl/platform';
import type { Producer } from 'kafkajs';
import { Counter, type Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { Catalog } from '../catalog/catalog';
import type { LicenseConfig } from '../config';
import { LicenseService } from '../licenses/license.service';
import { purchaseConsumerOptions } from '../purchases/purchase-consumer';
import { LicenseTables1764403200000 } from './migrations/1764403200000-license-tables';

export const licenseMigrations = [LicenseTables1764403200000];

/** The database (migrated on start), event store, forwarder and purchase consumer of the service. */
export class LicenseRuntime {
  readonly store: EventStore;
  readonly publisher: EventPublisher;
  readonly licenses: LicenseService;
  readonly readiness: ReadinessCheck[];
  private readonly newConsumer: () => InboxConsumer<PublicCloudEvent>;
  private consumer: InboxConsumer<PublicCloudEvent> | undefined;
  private stopped = false;

  private constructor(
    private readonly dataSource: DataSource,
    private readonly dlqProducer: Producer,
    catalog: Catalog,
    config: LicenseConfig,
    private readonly logger: Logger,
    metrics: Registry,
  ) {
    const pool = poolOf(dataSource);
    const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: config.serviceName, logger });
    this.store = new EventStore(pool, { onAppended: () => this.publisher.notifyAppended() });
    this.publisher = new EventPublisher({
      name: config.serviceName,
      kafka,
      pool,
      topics: [topics.licenses],
      partitions: config.kafkaPartitions,
      route: publicEventRouter(`/${config.serviceName}`),
      logger,
      onPublished: forwarderMetrics(metrics, pool, `${config.serviceName}.forwarder`),
    });
    this.licenses = new LicenseService({
      store: this.store,
      pool,
      catalog,
      signingKey: config.fileKeys.current,
      vendorTrackingUrl: config.vendorTrackingUrl,
    });
    const consumed = new Counter({
      name: 'inbox_records_total',
      help: 'Kafka records the inbox consumer processed, by outcome',
      labelNames: ['consumer', 'outcome'],
      registers: [metrics],
    });
    this.newConsumer = () =>
      new InboxConsumer<PublicCloudEvent>({
        ...purchaseConsumerOptions(this.licenses, config.consumerGroup),
        kafka,
        store: this.store,
        dlqProducer,
        logger,
        partitionsConsumedConcurrently: config.kafkaPartitions,
        groupSize: 50,
        onProcessed: (outcome) => consumed.inc({ consumer: config.consumerGroup, outcome }),
      });
    this.readiness = [
      { name: 'database', check: async () => void (await pool.query('SELECT 1')) },
      { name: 'kafka', check: () => this.publisher.checkKafka() },
    ];
  }

  static async start(config: LicenseConfig, logger: Logger, metrics: Registry): Promise<LicenseRuntime> {
    const { catalog } = config;
    logger.info(
      { catalog: config.catalogFile, version: catalog.version, skus: catalog.file.skus.length },
      'catalog loaded',
    );
    const dataSource = createDataSource({
      url: config.databaseUrl,
      migrations: licenseMigrations,
      poolSize: config.databasePoolSize,
      applicationName: config.serviceName,
    });
    await dataSource.initialize();
    await migrate(dataSource);
    const kafka = createKafka({
      brokers: config.kafkaBrokers,
      clientId: `${config.serviceName}-dlq`,
      logger,
    });
    const dlqProducer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const runtime = new LicenseRuntime(dataSource, dlqProducer, catalog, config, logger, metrics);
    runtime.publisher.start();
    void runtime.startConsuming();
    return runtime;
  }

  private async startConsuming(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.dlqProducer.connect();
        this.consumer = this.newConsumer();
        await this.consumer.start();
        this.logger.info('purchase consumer joined its group');
        return;
      } catch (error) {
        await this.consumer?.stop().catch(() => undefined);
        this.consumer = undefined;
        if (this.stopped) return;
        this.logger.warn({ err: error, attempt }, 'purchase consumer could not start; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * attempt, 10_000)));
      }
    }
  }

  async stopBackgroundWork(): Promise<void> {
    this.stopped = true;
    await this.consumer?.stop();
    await this.dlqProducer.disconnect();
    await this.publisher.stop();
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
