import { topics } from '@otl/contracts';
import { ServiceStore } from '@otl/event-store';
import type { Logger } from '@otl/platform';
import type { Registry } from 'prom-client';
import type { StoreWebhookConfig } from '../config';
import { StoreWebhookDeliveries1764230500000 } from './migrations/1764230500000-store-webhook-deliveries';

/**
 * Everything outside the process the service depends on: the database (migrated on start), the
 * event store and the Kafka forwarder of `purchases.v1`, already publishing.
 */
export type StoreWebhookRuntime = ServiceStore;

export async function startStoreWebhookRuntime(
  config: StoreWebhookConfig,
  logger: Logger,
  metrics: Registry,
): Promise<StoreWebhookRuntime> {
  const runtime = await ServiceStore.open({
    config,
    logger,
    metrics,
    migrations: [StoreWebhookDeliveries1764230500000],
    topics: [topics.purchases],
  });
  runtime.startPublishing();
  return runtime;
}
