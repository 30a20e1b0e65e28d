import type { DynamicModule } from '@nestjs/common';
import { topics } from '@otl/contracts';
import { serviceModule } from '@otl/event-store';
import type { Logger } from '@otl/platform';
import type { Registry } from 'prom-client';
import type { StoreWebhookConfig } from './config';
import { StoreWebhookDeliveries1764230500000 } from './infrastructure/migrations/1764230500000-store-webhook-deliveries';
import { StoreWebhookController } from './webhooks/store-webhook.controller';
import { StoreWebhookService } from './webhooks/store-webhook.service';
import { WebhookMetrics } from './webhooks/webhook-metrics';

/** The store webhook: its one endpoint, recording each order on the purchase's stream of `purchases.v1`. */
export function appModule(config: StoreWebhookConfig, logger: Logger, metrics: Registry): DynamicModule {
  return serviceModule({
    config,
    logger,
    metrics,
    migrations: [StoreWebhookDeliveries1764230500000],
    topics: [topics.purchases],
    controllers: [StoreWebhookController],
    providers: [StoreWebhookService, WebhookMetrics],
  });
}
