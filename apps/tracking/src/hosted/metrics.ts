import type { Pool } from 'pg';
import { Counter, Gauge, type Registry } from 'prom-client';

/** The LTS's own metrics, beside the platform's HTTP and the event store's inbox/forwarder ones. */
export class LeaseMetrics {
  readonly granted: Counter;
  readonly denied: Counter;
  readonly expired: Counter;
  readonly heartbeats: Counter;

  constructor(registry: Registry, pool: Pool) {
    this.granted = new Counter({
      name: 'lts_leases_granted_total',
      help: 'Leases granted (new seats taken)',
      registers: [registry],
    });
    this.denied = new Counter({
      name: 'lts_leases_denied_total',
      help: 'Acquisitions refused because every seat was held (each refusal, before coalescing)',
      registers: [registry],
    });
    this.expired = new Counter({
      name: 'lts_leases_expired_total',
      help: 'Leases ended by this instance because their TTL passed without a heartbeat',
      registers: [registry],
    });
    this.heartbeats = new Counter({
      name: 'lts_heartbeats_total',
      help: 'Heartbeats that extended a live lease',
      registers: [registry],
    });
    new Gauge({
      name: 'lts_active_leases',
      help: 'Live leases (active and not past expiresAt) over all instances, read at scrape time',
      registers: [registry],
      async collect() {
        try {
          const { rows } = await pool.query<{ count: string }>(
            `SELECT count(*)::text AS count FROM leases WHERE status = 'active' AND expires_at > now()`,
          );
          this.set(Number(rows[0]?.count ?? 0));
        } catch {
          // The database is down: readiness says so; the gauge keeps its last value.
        }
      },
    });
  }
}
