import {
  Module,
  type DynamicModule,
  type INestApplication,
  type OnApplicationShutdown,
  type Type,
} from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createServiceApp, listen, type ServiceAppOptions } from './bootstrap';
import { ConfigError, type HttpServiceConfig } from './config';
import { createLogger } from './logging';
import { createMetricsRegistry } from './metrics';
import { startTracing, stopTracing } from './tracing';
import type { UnavailableErrors } from './problem';

export interface ServiceMainOptions<C extends HttpServiceConfig> extends Omit<
  ServiceAppOptions,
  'module' | 'logger' | 'metrics' | 'trustProxy' | 'unavailable' | 'configureServer'
> {
  name: string;
  loadConfig(): C;
  /** The service's root module (its providers start what it depends on). */
  prepare(
    config: C,
    logger: Logger,
    metrics: Registry,
  ): Type<unknown> | DynamicModule | Promise<Type<unknown> | DynamicModule>;
  /** Connects what else the app serves once it is initialised, before it listens (say, Kafka consumers). */
  connect?(app: INestApplication): Promise<void>;
  trustProxy?(config: C): boolean;
  /** Adds to the Fastify server before any route exists (hooks that need the configuration). */
  configureServer?(server: FastifyInstance, config: C): void;
  /** Errors answered 503 with retry-after; a function when retry-after comes from the configuration. */
  unavailable?: UnavailableErrors | ((config: C) => UnavailableErrors);
}

/**
 * A service's `main`: validated configuration (exit 78 naming the bad variable), logger, metrics,
 * its dependencies, then the HTTP app. Any other start-up failure exits 1 with the reason.
 */
export function runService<C extends HttpServiceConfig>(options: ServiceMainOptions<C>): void {
  const { name, loadConfig, prepare, connect, trustProxy, unavailable, configureServer, ...app } = options;
  const main = async () => {
    let config: C;
    let tracing: boolean;
    try {
      config = loadConfig();
      tracing = startTracing(name);
    } catch (error) {
      if (error instanceof ConfigError) {
        process.stderr.write(`${name}: ${error.message}\n`);
        process.exit(78); // EX_CONFIG
      }
      throw error;
    }
    const logger = createLogger(name, config.logLevel);
    const metrics = createMetricsRegistry(name);
    if (tracing) logger.info('exporting traces over OTLP');
    const module = await prepare(config, logger, metrics);
    const nest = await createServiceApp({
      ...app,
      module: tracing ? { module: TracedService, imports: [module] } : module,
      logger,
      metrics,
      trustProxy: trustProxy?.(config),
      unavailable: typeof unavailable === 'function' ? unavailable(config) : unavailable,
      configureServer: configureServer && ((server) => configureServer(server, config)),
    });
    await nest.init();
    await connect?.(nest);
    await listen(nest, config.port, config.host, logger);
  };
  main().catch((error: unknown) => {
    process.stderr.write(
      `${name} failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  });
}

/** Wraps a traced service's root module: exports the last spans once everything else has shut down. */
@Module({})
class TracedService implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await stopTracing();
  }
}
