import {
  Inject,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { HealthController, METRICS_REGISTRY, MetricsController, READINESS_CHECKS } from '@otl/platform';
import type { Registry } from 'prom-client';
import type { StoreWebhookConfig } from './config';
import { ServiceStore } from '@otl/event-store';
import type { StoreWebhookRuntime } from './infrastructure/runtime';
import { STORE_WEBHOOK_CONFIG } from './tokens';
import { StoreWebhookController } from './webhooks/store-webhook.controller';
import { CLOCK, EVENT_STORE, StoreWebhookService } from './webhooks/store-webhook.service';
import { WebhookMetrics } from './webhooks/webhook-metrics';

@Module({})
export class AppModule implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(@Inject(ServiceStore) private readonly runtime: StoreWebhookRuntime) {}

  static register(
    config: StoreWebhookConfig,
    runtime: StoreWebhookRuntime,
    metrics: Registry,
  ): DynamicModule {
    return {
      module: AppModule,
      controllers: [StoreWebhookController, HealthController, MetricsController],
      providers: [
        { provide: STORE_WEBHOOK_CONFIG, useValue: config },
        { provide: ServiceStore, useValue: runtime },
        { provide: EVENT_STORE, useValue: runtime.store },
        { provide: CLOCK, useValue: () => new Date() },
        { provide: METRICS_REGISTRY, useValue: metrics },
        { provide: READINESS_CHECKS, useValue: runtime.readiness },
        StoreWebhookService,
        WebhookMetrics,
      ],
    };
  }

  // Nest calls this before it closes the HTTP server, and onApplicationShutdown after:
  // publishing stops first, the database closes once in-flight requests are answered.
  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.stopPublishing();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.close();
  }
}
