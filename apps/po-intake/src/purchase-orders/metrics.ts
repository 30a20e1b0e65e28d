import type { Pool } from 'pg';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Clock } from '@otl/platform';

/**
 * The desk's SLA in Prometheus: undecided and overdue orders (read at scrape time, over every
 * instance), beside counters of submissions and decisions. Alert on `po_intake_overdue_purchase_orders > 0`.
 */
export class PurchaseOrderMetrics {
  readonly submissions: Counter<'outcome'>;
  readonly decisions: Counter<'decision'>;

  constructor(registry: Registry, pool: Pool, now: Clock) {
    this.submissions = new Counter({
      name: 'po_intake_submissions_total',
      help: 'Purchase orders submitted, by outcome (received, resubmitted, po-number-taken)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.decisions = new Counter({
      name: 'po_intake_decisions_total',
      help: 'Decisions taken on purchase orders (approved, rejected, refunded); repeats are not counted',
      labelNames: ['decision'],
      registers: [registry],
    });
    let last: Promise<{ undecided: number; overdue: number }> | null = null;
    // One query per scrape serves both gauges.
    const counts = () => {
      last ??= pool
        .query<{ undecided: string; overdue: string }>(
          `SELECT count(*)::text AS undecided, count(*) FILTER (WHERE due_by < $1)::text AS overdue
           FROM purchase_orders WHERE status = 'received'`,
          [now()],
        )
        .then(({ rows }) => ({
          undecided: Number(rows[0]?.undecided ?? 0),
          overdue: Number(rows[0]?.overdue ?? 0),
        }))
        .finally(() => setTimeout(() => (last = null), 0));
      return last;
    };
    new Gauge({
      name: 'po_intake_undecided_purchase_orders',
      help: 'Purchase orders received and not yet approved or rejected',
      registers: [registry],
      async collect() {
        try {
          this.set((await counts()).undecided);
        } catch {
          // The database is down: readiness says so; the gauge keeps its last value.
        }
      },
    });
    new Gauge({
      name: 'po_intake_overdue_purchase_orders',
      help: 'Undecided purchase orders past their dueBy (the end of the next business day after receipt)',
      registers: [registry],
      async collect() {
        try {
          this.set((await counts()).overdue);
        } catch {
          // As above.
        }
      },
    });
  }
}
