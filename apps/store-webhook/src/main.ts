import 'reflect-metadata';
import { runService } from '@otl/platform';
import { AppModule } from './app.module';
import { SERVICE_NAME, loadConfig } from './config';
import { startStoreWebhookRuntime } from './infrastructure/runtime';
import { withOpaqueJsonSchema } from './webhooks/store-webhook.dto';

runService({
  name: SERVICE_NAME,
  loadConfig,
  prepare: async (config, logger, metrics) =>
    AppModule.register(config, await startStoreWebhookRuntime(config, logger, metrics), metrics),
  bodyLimitBytes: 256 * 1024,
  jsonBodyAsBuffer: true,
  openApi: {
    title: 'store-webhook',
    description:
      "Receives the online store's signed checkout events (Standard Webhooks) and records each order as a " +
      'purchase (`purchase.recorded.v1` / `purchase.refunded.v1` on Kafka topic `purchases.v1`). ' +
      'Errors are RFC 9457 problem details.',
    version: '1.0.0',
  },
  decorateOpenApi: withOpaqueJsonSchema,
});
