import 'reflect-metadata';
import { isTransientDatabaseError } from '@otl/event-store';
import { runService } from '@otl/platform';
import { appModule } from './app.module';
import { SERVICE_NAME, loadConfig } from './config';
import { withOpaqueJsonSchema } from './webhooks/store-webhook.dto';

runService({
  name: SERVICE_NAME,
  loadConfig,
  prepare: appModule,
  bodyLimitBytes: 256 * 1024,
  jsonBodyAsBuffer: true,
  // A delivery that cannot be committed is a 503 (the store retries), never a 2xx.
  unavailable: (config) => ({ when: isTransientDatabaseError, retryAfterSeconds: config.retryAfterSeconds }),
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
