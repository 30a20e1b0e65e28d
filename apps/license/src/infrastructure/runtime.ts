import { topics, type PublicCloudEvent } from '@otl/contracts';
import { BackgroundConsumer, ServiceStore } from '@otl/event-store';
import type { Logger, ReadinessCheck } from '@otl/platform';
import type { Registry } from 'prom-client';
import type { Catalog } from '../catalog/catalog';
import type { LicenseConfig } from '../config';
import { LicenseService } from '../licenses/license.service';
import { purchaseConsumerOptions } from '../purchases/purchase-consumer';
import { LicenseTables1764403200000 } from './migrations/1764403200000-license-tables';

export const licenseMigrations = [LicenseTables1764403200000];

/** The database (migrated on start), event store, forwarder and purchase consumer of the service. */
export class LicenseRuntime {
  readonly licenses: LicenseService;
  readonly readiness: ReadinessCheck[];
  private readonly consumer: BackgroundConsumer<PublicCloudEvent>;

  private constructor(
    private readonly base: ServiceStore,
    catalog: Catalog,
    config: LicenseConfig,
    logger: Logger,
    metrics: Registry,
  ) {
    const { pool, kafka, store } = base;
    this.licenses = new LicenseService({
      store,
      pool,
      catalog,
      signingKey: config.fileKeys.current,
      vendorTrackingUrl: config.vendorTrackingUrl,
    });
    this.consumer = new BackgroundConsumer<PublicCloudEvent>({
      ...purchaseConsumerOptions(this.licenses, config.consumerGroup),
      kafka,
      store,
      metrics,
      logger,
      partitionsConsumedConcurrently: config.kafkaPartitions,
      groupSize: 50,
    });
    this.readiness = base.readiness;
  }

  static async start(config: LicenseConfig, logger: Logger, metrics: Registry): Promise<LicenseRuntime> {
    const { catalog } = config;
    logger.info(
      { catalog: config.catalogFile, version: catalog.version, skus: catalog.file.skus.length },
      'catalog loaded',
    );
    const base = await ServiceStore.open({
      config,
      logger,
      metrics,
      migrations: licenseMigrations,
      topics: [topics.licenses],
    });
    const runtime = new LicenseRuntime(base, catalog, config, logger, metrics);
    base.startPublishing();
    runtime.consumer.start();
    return runtime;
  }

  async stopBackgroundWork(): Promise<void> {
    await this.consumer.stop();
    await this.base.stopPublishing();
  }

  close(): Promise<void> {
    return this.base.close();
  }
}
