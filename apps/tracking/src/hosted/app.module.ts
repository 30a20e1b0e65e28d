import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { AuthModule } from '@otl/auth';
import { topics } from '@otl/contracts';
import { EventStore, ServiceStore, serviceModule } from '@otl/event-store';
import { CLOCK, type Clock, type Logger } from '@otl/platform';
import type { Registry } from 'prom-client';
import { LEASE_STORE, LEASE_TIMING } from '../leases/lease-store';
import { LeasesController } from '../leases/leases.controller';
import { LeaseRateLimitGuard, RATE_LIMITER } from '../leases/rate-limit';
import type { HostedConfig } from './config';
import { trackingMigrations } from './infrastructure/migrations';
import { PostgresLeaseStore } from './leases/postgres-lease-store';
import { SharedRateLimiter } from './leases/shared-rate-limiter';
import { Sweeper } from './leases/sweeper';
import { LicenseConsumer } from './licenses/license-consumer';
import { TrackedLicenses } from './licenses/tracked-licenses';
import { LeaseMetrics } from './metrics';
import { UsageController } from './usage/usage.controller';
import { UsageHistory } from './usage/usage-history';

/** Starts the sweeper and the rate limiter's flushes with the app, stops them before the database closes. */
@Injectable()
class BackgroundWork implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(Sweeper) private readonly sweeper: Sweeper,
    @Inject(RATE_LIMITER) private readonly limiter: SharedRateLimiter,
  ) {}

  onApplicationBootstrap(): void {
    this.sweeper.start();
    this.limiter.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.sweeper.stop(), this.limiter.stop()]);
  }
}

/** The vendor-hosted License Tracking Server: the lease API on Postgres, licenses.v1 in, usage.v1 out. */
export function hostedModule(config: HostedConfig, logger: Logger, metrics: Registry): DynamicModule {
  const { jwksUrl, issuer, audience, clockToleranceSeconds } = config.accessTokens;
  return serviceModule({
    config,
    logger,
    metrics,
    migrations: trackingMigrations,
    topics: [topics.licenses, topics.usage],
    subscriptions: [
      { name: config.consumerGroup, partitionsConsumedConcurrently: config.kafkaPartitions, groupSize: 50 },
    ],
    // The portal's usage endpoint takes the account service's access tokens.
    imports: [AuthModule.forRoot({ jwksUrl, issuer, audience, clockToleranceSeconds, logger })],
    controllers: [LeasesController, UsageController, LicenseConsumer],
    providers: [
      { provide: LEASE_TIMING, useValue: config.timing },
      {
        provide: LeaseMetrics,
        inject: [ServiceStore],
        useFactory: (base: ServiceStore) => new LeaseMetrics(metrics, base.pool),
      },
      {
        provide: LEASE_STORE,
        inject: [EventStore, ServiceStore, LeaseMetrics],
        useFactory: (store: EventStore, base: ServiceStore, leaseMetrics: LeaseMetrics) =>
          new PostgresLeaseStore(store, base.pool, config.timing, leaseMetrics),
      },
      {
        provide: RATE_LIMITER,
        inject: [ServiceStore],
        useFactory: (base: ServiceStore) =>
          new SharedRateLimiter({
            pool: base.pool,
            limitPerMinute: config.rateLimitPerMinute,
            flushMs: config.rateLimitFlushMs,
            logger,
          }),
      },
      LeaseRateLimitGuard,
      {
        provide: Sweeper,
        inject: [EventStore, ServiceStore, CLOCK, LeaseMetrics],
        useFactory: (store: EventStore, base: ServiceStore, now: Clock, leaseMetrics: LeaseMetrics) =>
          new Sweeper({
            store,
            pool: base.pool,
            now,
            logger,
            intervalSeconds: config.sweepSeconds,
            metrics: leaseMetrics,
          }),
      },
      { provide: TrackedLicenses, inject: [CLOCK], useFactory: (now: Clock) => new TrackedLicenses(now) },
      {
        provide: UsageHistory,
        inject: [ServiceStore],
        useFactory: (base: ServiceStore) => new UsageHistory(base.pool),
      },
      BackgroundWork,
    ],
  });
}
