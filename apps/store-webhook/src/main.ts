import 'reflect-metadata';
import { ConfigError, createLogger, createMetricsRegistry, createServiceApp, listen } from '@otl/platform';
import { AppModule } from './app.module';
import { SERVICE_NAME, loadConfig } from './config';
import { StoreWebhookRuntime } from './infrastructure/runtime';

const BODY_LIMIT_BYTES = 256 * 1024;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${SERVICE_NAME}: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger(SERVICE_NAME, config.logLevel);
  const metrics = createMetricsRegistry(SERVICE_NAME);
  const runtime = await StoreWebhookRuntime.start(config, logger, metrics);
  const app = await createServiceApp({
    module: AppModule.register(config, runtime, metrics),
    logger,
    metrics,
    bodyLimitBytes: BODY_LIMIT_BYTES,
    jsonBodyAsBuffer: true,
    openApi: {
      title: 'store-webhook',
      description:
        "Receives the online store's signed checkout events (Standard Webhooks) and records each order as a " +
        'purchase (`purchase.recorded.v1` / `purchase.refunded.v1` on Kafka topic `purchases.v1`). ' +
        'Errors are RFC 9457 problem details.',
      version: '1.0.0',
    },
  });
  await listen(app, config.port, config.host, logger);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${SERVICE_NAME} failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
