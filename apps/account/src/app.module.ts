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
import { AccountService } from './accounts/account.service';
import { AuthController, MeController } from './auth/auth.controller';
import { CredentialsService } from './auth/credentials.service';
import type { AccountConfig } from './config';
import { AccountRuntime } from './infrastructure/runtime';
import { RegistrationController } from './registration/registration.controller';
import { ACCESS_TOKEN_RING } from './tokens';

@Module({})
export class AppModule implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(@Inject(AccountRuntime) private readonly runtime: AccountRuntime) {}

  static register(
    config: AccountConfig,
    runtime: AccountRuntime,
    metrics: Registry,
    logger: Logger,
  ): DynamicModule {
    const { keys, issuer, audience } = config.accessTokens;
    return {
      module: AppModule,
      // The issuer checks its own tokens with its key ring; other services use the JWKS URL.
      imports: [AuthModule.forRoot({ issuer, audience, keys, logger })],
      controllers: [
        RegistrationController,
        AuthController,
        MeController,
        HealthController,
        MetricsController,
      ],
      providers: [
        { provide: AccountRuntime, useValue: runtime },
        { provide: AccountService, useValue: runtime.accounts },
        { provide: CredentialsService, useValue: runtime.credentials },
        { provide: ACCESS_TOKEN_RING, useValue: keys },
        { provide: METRICS_REGISTRY, useValue: metrics },
        { provide: READINESS_CHECKS, useValue: runtime.readiness },
      ],
    };
  }

  // Before the HTTP server closes: stop consuming, publishing and mailing; after: close the database.
  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.stopBackgroundWork();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.close();
  }
}
