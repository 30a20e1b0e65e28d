import type { DynamicModule } from '@nestjs/common';
import { AuthModule } from '@otl/auth';
import { topics } from '@otl/contracts';
import { EventStore, ServiceStore, serviceModule } from '@otl/event-store';
import { CLOCK, type Clock, type Logger } from '@otl/platform';
import type { Registry } from 'prom-client';
import type { LicenseConfig } from './config';
import { licenseMigrations } from './infrastructure/migrations';
import { ItemQueries } from './items/item-queries';
import { LicenseFiles } from './licenses/license-files';
import { LicenseQueries } from './licenses/license-queries';
import { LicensesController } from './licenses/licenses.controller';
import { LicensingService } from './licenses/licensing.service';
import { PurchaseConsumer } from './purchases/purchase-consumer';
import { PurchaseItems } from './purchases/purchase-items.service';
import { LICENSE_FILE_KEYS } from './tokens';

/** The license service: the portal's licence API and the purchase consumer, as Nest providers. */
export function appModule(config: LicenseConfig, logger: Logger, metrics: Registry): DynamicModule {
  const { jwksUrl, issuer, audience, clockToleranceSeconds } = config.accessTokens;
  logger.info(
    { catalog: config.catalogFile, version: config.catalog.version, skus: config.catalog.file.skus.length },
    'catalog loaded',
  );
  const pool = (base: ServiceStore) => base.pool;
  return serviceModule({
    config,
    logger,
    metrics,
    migrations: licenseMigrations,
    topics: [topics.licenses],
    subscriptions: [
      { name: config.consumerGroup, partitionsConsumedConcurrently: config.kafkaPartitions, groupSize: 50 },
    ],
    // Access tokens are checked with the account service's published keys: no shared secret.
    imports: [AuthModule.forRoot({ jwksUrl, issuer, audience, clockToleranceSeconds, logger })],
    controllers: [LicensesController, PurchaseConsumer],
    providers: [
      { provide: LICENSE_FILE_KEYS, useValue: config.fileKeys },
      {
        provide: ItemQueries,
        inject: [ServiceStore],
        useFactory: (base: ServiceStore) => new ItemQueries(pool(base)),
      },
      {
        provide: LicenseQueries,
        inject: [ServiceStore],
        useFactory: (base: ServiceStore) => new LicenseQueries(pool(base)),
      },
      {
        provide: LicensingService,
        inject: [EventStore, CLOCK],
        useFactory: (store: EventStore, now: Clock) => new LicensingService(store, now),
      },
      {
        provide: LicenseFiles,
        inject: [ServiceStore, CLOCK],
        useFactory: (base: ServiceStore, now: Clock) =>
          new LicenseFiles({
            store: base.store,
            pool: base.pool,
            signingKey: config.fileKeys.current,
            vendorTrackingUrl: config.vendorTrackingUrl,
            now,
          }),
      },
      {
        provide: PurchaseItems,
        inject: [CLOCK],
        useFactory: (now: Clock) => new PurchaseItems(config.catalog, now),
      },
    ],
  });
}
