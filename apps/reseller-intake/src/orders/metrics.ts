import { Counter, type Registry } from 'prom-client';

/** Orders placed and refused, replays, refunds and rate limiting, for the reseller channel's dashboards. */
export class OrderMetrics {
  readonly placements: Counter<'outcome'>;
  readonly refunds: Counter;
  readonly rateLimited: Counter;
  readonly authFailures: Counter;

  constructor(registry: Registry) {
    this.placements = new Counter({
      name: 'reseller_intake_order_requests_total',
      help: 'POST /v1/reseller/orders by outcome (recorded, replayed, ref-taken, in-flight, other-body)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.refunds = new Counter({
      name: 'reseller_intake_refunds_total',
      help: 'Orders refunded (a repeated refund is not counted)',
      registers: [registry],
    });
    this.rateLimited = new Counter({
      name: 'reseller_intake_rate_limited_total',
      help: 'Requests refused with 429 by the per-key rate limit',
      registers: [registry],
    });
    this.authFailures = new Counter({
      name: 'reseller_intake_auth_failures_total',
      help: 'Requests refused with 401 (missing, malformed, unknown or revoked API key)',
      registers: [registry],
    });
  }
}
