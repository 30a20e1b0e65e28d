import { topics, type PublicCloudEvent } from '@otl/contracts';
import {
  EventPublisher,
  EventStore,
  BackgroundConsumer,
  createDataSource,
  createKafka,
  forwarderMetrics,
  migrate,
  poolOf,
  publicEventRouter,
} from '@otl/event-store';
import type { Logger, ReadinessCheck } from '@otl/platform';
import type { Registry } from 'prom-client';
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
  private readonly consumer: BackgroundConsumer<PublicCloudEvent>;

  private constructor(
    private readonly dataSource: DataSource,
    catalog: Catalog,
    config: LicenseConfig,
    logger: Logger,
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
    this.consumer = new BackgroundConsumer<PublicCloudEvent>({
      ...purchaseConsumerOptions(this.licenses, config.consumerGroup),
      kafka,
      store: this.store,
      metrics,
      logger,
      partitionsConsumedConcurrently: config.kafkaPartitions,
      groupSize: 50,
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
    const runtime = new LicenseRuntime(dataSource, catalog, config, logger, metrics);
    runtime.publisher.start();
    runtime.consumer.start();
    return runtime;
  }

  async stopBackgroundWork(): Promise<void> {
    await this.consumer.stop();
    await this.publisher.stop();
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
