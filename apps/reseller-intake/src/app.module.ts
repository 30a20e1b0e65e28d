import type { DynamicModule } from '@nestjs/common';
import { topics } from '@otl/contracts';
import { EventStore, ServiceStore, serviceModule } from '@otl/event-store';
import { CLOCK, type Clock, type Logger } from '@otl/platform';
import type { Registry } from 'prom-client';
import type { ResellerIntakeConfig } from './config';
import { refTakenAnswer } from './errors';
import { ResellerIntakeTables1766100000000 } from './infrastructure/migrations/1766100000000-reseller-intake-tables';
import { ApiKeyGuard, RATE_LIMIT_RULE } from './keys/api-key.guard';
import { KeyStore } from './keys/key-store';
import { OrderMetrics } from './orders/metrics';
import { OrderQueries } from './orders/order-queries';
import { OrdersController } from './orders/orders.controller';
import { OrdersService } from './orders/orders.service';
import { AssignmentConsumer } from './orders/purchase-consumer';
import { IdempotencyKeys } from './requests/idempotency';
import { IdempotencyPurge } from './requests/purge';

export const resellerIntakeMigrations = [ResellerIntakeTables1766100000000];

/** reseller-intake: resellers' orders by API key, recorded on `purchases.v1`, their status from `accounts.v1`. */
export function appModule(config: ResellerIntakeConfig, logger: Logger, metrics: Registry): DynamicModule {
  logger.info(
    { rateLimit: config.rateLimit, idempotencyTtlSeconds: config.idempotencyTtlSeconds },
    'reseller API',
  );
  if (config.failpoint !== 'none') logger.warn({ failpoint: config.failpoint }, 'test failpoint armed');
  return serviceModule({
    config,
    logger,
    metrics,
    migrations: resellerIntakeMigrations,
    topics: [topics.purchases],
    subscriptions: [
      { name: config.consumerGroup, partitionsConsumedConcurrently: config.kafkaPartitions, groupSize: 50 },
    ],
    controllers: [OrdersController, AssignmentConsumer],
    providers: [
      { provide: RATE_LIMIT_RULE, useValue: config.rateLimit },
      { provide: OrderMetrics, useFactory: () => new OrderMetrics(metrics) },
      {
        provide: KeyStore,
        inject: [ServiceStore],
        useFactory: (base: ServiceStore) => new KeyStore(base.pool, config.rateLimit),
      },
      ApiKeyGuard,
      {
        provide: IdempotencyKeys,
        inject: [ServiceStore],
        useFactory: (base: ServiceStore) =>
          new IdempotencyKeys(base.pool, config.idempotencyTtlSeconds, config.idempotencyLeaseSeconds),
      },
      {
        provide: IdempotencyPurge,
        inject: [IdempotencyKeys, CLOCK],
        useFactory: (keys: IdempotencyKeys, now: Clock) =>
          new IdempotencyPurge(keys, now, config.purgeIntervalSeconds, logger),
      },
      {
        provide: OrderQueries,
        inject: [ServiceStore],
        useFactory: (base: ServiceStore) => new OrderQueries(base.pool),
      },
      {
        provide: OrdersService,
        inject: [EventStore, IdempotencyKeys, CLOCK, OrderMetrics],
        useFactory: (store: EventStore, keys: IdempotencyKeys, now: Clock, orderMetrics: OrderMetrics) =>
          new OrdersService(store, keys, now, orderMetrics, config.failpoint, refTakenAnswer),
      },
    ],
  });
}
