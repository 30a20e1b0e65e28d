import {
  Inject,
  Injectable,
  Module,
  Optional,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type ModuleMetadata,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import {
  READINESS_CHECKS,
  serviceControllers,
  serviceProviders,
  type CommonConfig,
  type Logger,
} from '@otl/platform';
import type { Registry } from 'prom-client';
import type { MigrationInterface } from 'typeorm';
import { EventStore } from './event-store';
import { InboxTransport, type InboxSubscription } from './inbox-transport';
import { ServiceStore } from './service-store';

export interface ServiceModuleOptions<C extends CommonConfig> extends Pick<
  ModuleMetadata,
  'imports' | 'controllers' | 'providers'
> {
  config: C;
  logger: Logger;
  metrics: Registry;
  /** The service's own migrations (the event store's run first). */
  migrations: (new () => MigrationInterface)[];
  /** Topics its public events go to. */
  topics: readonly string[];
  /** Kafka subscriptions of the service's `@EventPattern` handlers (none: it consumes nothing). */
  subscriptions?: readonly InboxSubscription[];
}

/**
 * Starts publishing once the app is up; on shutdown stops consuming, then publishing (each
 * finishing the work in flight), and closes the database only after the HTTP server has closed.
 */
@Injectable()
class ServiceLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(ServiceStore) private readonly base: ServiceStore,
    @Optional() @Inject(InboxTransport) private readonly inbox?: InboxTransport,
  ) {}

  onApplicationBootstrap(): void {
    this.base.startPublishing();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.inbox?.close();
    await this.base.stopPublishing();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.base.close();
  }
}

@Module({})
class EventSourcedServiceModule {}

/**
 * The root module of an event-sourced service, built the one way all services are: Nest providers.
 * It provides SERVICE_CONFIG, LOGGER, METRICS_REGISTRY, CLOCK, the ServiceStore (database migrated
 * on start, event store, forwarder), EventStore, READINESS_CHECKS and, with subscriptions, the
 * InboxTransport (connect it with `connectInbox`); health and metrics endpoints are included.
 */
export function serviceModule<C extends CommonConfig>(options: ServiceModuleOptions<C>): DynamicModule {
  const { config, logger, metrics, migrations, topics, subscriptions } = options;
  const inbox: Provider[] =
    subscriptions && subscriptions.length > 0
      ? [
          {
            provide: InboxTransport,
            inject: [ServiceStore],
            useFactory: (base: ServiceStore) =>
              new InboxTransport({ kafka: base.kafka, store: base.store, logger, metrics, subscriptions }),
          },
        ]
      : [];
  return {
    module: EventSourcedServiceModule,
    imports: options.imports ?? [],
    controllers: [...(options.controllers ?? []), ...serviceControllers],
    providers: [
      ...serviceProviders(config, logger, metrics),
      {
        provide: ServiceStore,
        useFactory: () => ServiceStore.open({ config, logger, metrics, migrations, topics }),
      },
      { provide: EventStore, inject: [ServiceStore], useFactory: (base: ServiceStore) => base.store },
      {
        provide: READINESS_CHECKS,
        inject: [ServiceStore],
        useFactory: (base: ServiceStore) => base.readiness,
      },
      ...inbox,
      ServiceLifecycle,
      ...(options.providers ?? []),
    ],
  };
}
