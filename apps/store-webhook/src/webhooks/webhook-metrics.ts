import { Inject, Injectable } from '@nestjs/common';
import { METRICS_REGISTRY } from '@otl/platform';
import { Counter, type Registry } from 'prom-client';
import type { DeliveryOutcome } from './store-webhook.service';

@Injectable()
export class WebhookMetrics {
  private readonly deliveries: Counter<'result' | 'reason'>;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.deliveries = new Counter({
      name: 'store_webhook_deliveries_total',
      help: 'Store webhook deliveries by result (accepted, rejected) and reason or outcome',
      labelNames: ['result', 'reason'],
      registers: [registry],
    });
  }

  accepted(outcome: DeliveryOutcome): void {
    this.deliveries.inc({ result: 'accepted', reason: outcome });
  }

  rejected(reason: string): void {
    this.deliveries.inc({ result: 'rejected', reason });
  }
}
