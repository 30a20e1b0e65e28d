import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  CLOCK,
  LOGGER,
  READINESS_CHECKS,
  SERVICE_CONFIG,
  serviceControllers,
  serviceProviders,
  type Clock,
  type Logger,
  type ReadinessCheck,
} from '@otl/platform';
import type { Registry } from 'prom-client';
import { LEASE_STORE, LEASE_TIMING } from '../leases/lease-store';
import { LeasesController } from '../leases/leases.controller';
import { RATE_LIMITER } from '../leases/rate-limit';
import type { SelfHostedConfig } from './config';
import { ensureInstance, openDatabase, type Sqlite } from './database';
import { InstanceController } from './instance.controller';
import { LicenseFilesController } from './license-files.controller';
import { SelfHostedLicenses } from './licenses';
import { InProcessRateLimiter } from './rate-limiter';
import { SqliteLeaseStore } from './sqlite-lease-store';
import { INSTANCE, SQLITE, VENDOR_KEYS } from './tokens';

/** Ends expired leases and prunes old ones now and then; closes the database on shutdown. */
@Injectable()
class SelfHostedLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(SQLITE) private readonly db: Sqlite,
    @Inject(LEASE_STORE) private readonly store: SqliteLeaseStore,
    @Inject(SERVICE_CONFIG) private readonly config: SelfHostedConfig,
    @Inject(CLOCK) private readonly now: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.sweep();
    this.timer = setInterval(() => this.sweep(), this.config.sweepIntervalMs);
    this.timer.unref();
  }

  private sweep(): void {
    try {
      const { expired, pruned } = this.store.sweep(this.now());
      if (expired + pruned > 0) this.logger.debug({ expired, pruned }, 'leases swept');
    } catch (error) {
      this.logger.error({ err: error }, 'lease sweep failed');
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.db.close();
  }
}

@Module({})
class SelfHostedTrackingModule {}

/**
 * The self-hosted License Tracking Server: SQLite in LTS_DATA_DIR, licences from verified files,
 * the shared lease API. Nothing here opens a connection to anywhere; it only listens.
 */
export function selfHostedModule(config: SelfHostedConfig, logger: Logger, metrics: Registry): DynamicModule {
  const { vendorKeys } = config;
  const db = openDatabase(config.dataDir);
  const clock: Clock = () => new Date();
  const instance = ensureInstance(db, clock());
  logger.info(
    {
      ltsInstanceId: instance.ltsInstanceId,
      dataDir: config.dataDir,
      vendorKeysFile: vendorKeys.file,
      vendorKeyIds: [...vendorKeys.byKid.keys()],
    },
    'self-hosted License Tracking Server',
  );
  const sqliteCheck: ReadinessCheck = {
    name: 'sqlite',
    check: async () => {
      db.prepare('SELECT COUNT(*) FROM schema_version').get();
    },
  };
  return {
    module: SelfHostedTrackingModule,
    controllers: [LeasesController, LicenseFilesController, InstanceController, ...serviceControllers],
    providers: [
      ...serviceProviders(config, logger, metrics, clock),
      { provide: SQLITE, useValue: db },
      { provide: VENDOR_KEYS, useValue: vendorKeys },
      { provide: INSTANCE, useValue: instance },
      { provide: READINESS_CHECKS, useValue: [sqliteCheck] },
      { provide: LEASE_TIMING, useValue: config.timing },
      { provide: RATE_LIMITER, useValue: new InProcessRateLimiter(config.rateLimitPerMinute) },
      { provide: SelfHostedLicenses, useValue: new SelfHostedLicenses(db) },
      {
        provide: LEASE_STORE,
        inject: [SelfHostedLicenses],
        useFactory: (licenses: SelfHostedLicenses) => new SqliteLeaseStore(db, licenses, config.timing),
      },
      SelfHostedLifecycle,
    ],
  };
}
