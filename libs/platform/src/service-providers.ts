import type { Provider, Type } from '@nestjs/common';
import type { Registry } from 'prom-client';
import type { HttpServiceConfig } from './config';
import { HealthController } from './health';
import type { Logger } from './logging';
import { METRICS_REGISTRY, MetricsController } from './metrics';
import { CLOCK, LOGGER, SERVICE_CONFIG, type Clock } from './tokens';

/** The controllers every service serves: /health/* and /metrics. */
export const serviceControllers: Type<unknown>[] = [HealthController, MetricsController];

/**
 * The providers every service's root module starts from, whatever it stores its data in:
 * SERVICE_CONFIG, LOGGER, METRICS_REGISTRY and CLOCK (the wall clock unless one is given).
 */
export function serviceProviders(
  config: HttpServiceConfig,
  logger: Logger,
  metrics: Registry,
  clock: Clock = () => new Date(),
): Provider[] {
  return [
    { provide: SERVICE_CONFIG, useValue: config },
    { provide: LOGGER, useValue: logger },
    { provide: METRICS_REGISTRY, useValue: metrics },
    { provide: CLOCK, useValue: clock },
  ];
}
