import type { DynamicModule } from '@nestjs/common';
import { AuthModule } from '@otl/auth';
import { topics } from '@otl/contracts';
import { EventStore, ServiceStore, serviceModule } from '@otl/event-store';
import { CLOCK, type Clock, type Logger } from '@otl/platform';
import type { Registry } from 'prom-client';
import type { PoIntakeConfig } from './config';
import { PoIntakeTables1765400000000 } from './infrastructure/migrations/1765400000000-po-intake-tables';
import { PurchaseOrderMetrics } from './purchase-orders/metrics';
import { PurchaseOrderQueries } from './purchase-orders/purchase-order-queries';
import { PurchaseOrdersController } from './purchase-orders/purchase-orders.controller';
import { PurchaseOrdersService } from './purchase-orders/purchase-orders.service';

/** po-intake: the sales desk's purchase orders, recorded on `purchases.v1` once approved. */
export function appModule(config: PoIntakeConfig, logger: Logger, metrics: Registry): DynamicModule {
  const { jwksUrl, issuer, audience, clockToleranceSeconds } = config.accessTokens;
  logger.info(config.calendarSummary, 'business days');
  return serviceModule({
    config,
    logger,
    metrics,
    migrations: [PoIntakeTables1765400000000],
    topics: [topics.purchases],
    // Staff tokens come from the account service; they are checked with its published keys.
    imports: [AuthModule.forRoot({ jwksUrl, issuer, audience, clockToleranceSeconds, logger })],
    controllers: [PurchaseOrdersController],
    providers: [
      {
        provide: PurchaseOrderMetrics,
        inject: [ServiceStore, CLOCK],
        useFactory: (base: ServiceStore, now: Clock) => new PurchaseOrderMetrics(metrics, base.pool, now),
      },
      {
        provide: PurchaseOrderQueries,
        inject: [ServiceStore, CLOCK],
        useFactory: (base: ServiceStore, now: Clock) => new PurchaseOrderQueries(base.pool, now),
      },
      {
        provide: PurchaseOrdersService,
        inject: [EventStore, CLOCK, PurchaseOrderMetrics],
        useFactory: (store: EventStore, now: Clock, orderMetrics: PurchaseOrderMetrics) =>
          new PurchaseOrdersService(store, config.calendar, now, orderMetrics),
      },
    ],
  });
}
