import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { createDataSource, migrate, poolOf } from '@otl/event-store';
import {
  LOGGER,
  READINESS_CHECKS,
  serviceControllers,
  serviceProviders,
  type Logger,
  type ReadinessCheck,
} from '@otl/platform';
import { AccountsController } from './api/accounts.controller';
import { DeskController } from './api/desk.controller';
import { CustomerGateway } from './api/gateway';
import { LicensesController } from './api/licenses.controller';
import { SessionController } from './api/session.controller';
import type { PortalConfig } from './config';
import { PortalSessions1766000000000 } from './infrastructure/migrations/1766000000000-portal-sessions';
import { SessionGuard } from './sessions/session.guard';
import { SessionStore } from './sessions/session-store';
import { SessionsService } from './sessions/sessions.service';
import { PORTAL_CONFIG, SESSION_STORE, UPSTREAMS, WEB_FILES, type Upstreams } from './tokens';
import { Upstream } from './upstream/upstream';
import type { WebFiles } from './web/web-files';
import { WebController } from './web/web.controller';

const DATA_SOURCE = Symbol('DATA_SOURCE');
const PURGE_EVERY_MS = 10 * 60_000;

/** Purges ended sessions now and then; closes the database last. */
@Injectable()
class PortalLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sessions: SessionsService,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const purge = () =>
      this.sessions
        .purge()
        .then((removed) => removed > 0 && this.logger.debug({ removed }, 'ended sessions purged'))
        .catch((error: unknown) => this.logger.warn({ err: error }, 'session purge failed'));
    void purge();
    this.timer = setInterval(purge, PURGE_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

@Module({})
class PortalModule {}

/** The customer portal: its single-page app and the backend-for-frontend behind it. */
export async function portalModule(
  config: PortalConfig,
  logger: Logger,
  metrics: Registry,
  files: WebFiles,
): Promise<DynamicModule> {
  const dataSource = createDataSource({
    url: config.databaseUrl,
    migrations: [PortalSessions1766000000000],
    poolSize: config.databasePoolSize,
    applicationName: config.serviceName,
    eventStore: false,
  });
  await dataSource.initialize();
  await migrate(dataSource);
  const pool = poolOf(dataSource);
  const upstreams: Upstreams = {
    account: new Upstream('account', config.accountUrl, config.upstreamTimeoutMs),
    license: new Upstream('license', config.licenseUrl, config.upstreamTimeoutMs),
    tracking: new Upstream('tracking', config.trackingUrl, config.upstreamTimeoutMs),
    poIntake: new Upstream('po-intake', config.poIntakeUrl, config.upstreamTimeoutMs),
  };
  const database: ReadinessCheck = {
    name: 'database',
    check: async () => void (await pool.query('SELECT 1')),
  };
  logger.info(
    {
      publicUrl: config.publicUrl,
      account: config.accountUrl,
      license: config.licenseUrl,
      tracking: config.trackingUrl,
      poIntake: config.poIntakeUrl,
    },
    'portal upstreams',
  );
  return {
    module: PortalModule,
    controllers: [
      SessionController,
      AccountsController,
      LicensesController,
      DeskController,
      WebController,
      ...serviceControllers,
    ],
    providers: [
      ...serviceProviders(config, logger, metrics),
      { provide: PORTAL_CONFIG, useValue: config },
      { provide: DATA_SOURCE, useValue: dataSource },
      { provide: SESSION_STORE, useValue: new SessionStore(pool) },
      { provide: UPSTREAMS, useValue: upstreams },
      { provide: WEB_FILES, useValue: files },
      { provide: READINESS_CHECKS, useValue: [database] },
      SessionsService,
      SessionGuard,
      CustomerGateway,
      PortalLifecycle,
    ],
  };
}
