import {
  Inject,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { AuthModule } from '@otl/auth';
import {
  HealthController,
  METRICS_REGISTRY,
  MetricsController,
  READINESS_CHECKS,
  type Logger,
} from '@otl/platform';
import type { Registry } from 'prom-client';
import type { LicenseConfig } from './config';
import { LicenseRuntime } from './infrastructure/runtime';
import { LicenseService } from './licenses/license.service';
import { LicensesController } from './licenses/licenses.controller';
import { LICENSE_FILE_KEYS } from './tokens';

@Module({})
export class AppModule implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(@Inject(LicenseRuntime) private readonly runtime: LicenseRuntime) {}

  static register(
    config: LicenseConfig,
    runtime: LicenseRuntime,
    metrics: Registry,
    logger: Logger,
  ): DynamicModule {
    const { jwksUrl, issuer, audience, clockToleranceSeconds } = config.accessTokens;
    return {
      module: AppModule,
      // Access tokens are checked with the account service's published keys: no shared secret.
      imports: [AuthModule.forRoot({ jwksUrl, issuer, audience, clockToleranceSeconds, logger })],
      controllers: [LicensesController, HealthController, MetricsController],
      providers: [
        { provide: LicenseRuntime, useValue: runtime },
        { provide: LicenseService, useValue: runtime.licenses },
        { provide: LICENSE_FILE_KEYS, useValue: config.fileKeys },
        { provide: METRICS_REGISTRY, useValue: metrics },
        { provide: READINESS_CHECKS, useValue: runtime.readiness },
      ],
    };
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.stopBackgroundWork();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.close();
  }
}
