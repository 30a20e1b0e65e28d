import { Lease, systemClock, type LeaseClock, type LostEvent } from './lease';
import { DEFAULT_BACKOFF, type BackoffPolicy } from './timing';
import { LtsTransport } from './transport';

export interface LtsClientOptions {
  /** The LTS, e.g. `https://lts.example.com` or `http://127.0.0.1:3106`. */
  url: string;
  licenseKey: string;
  /** What the licence's unit counts: a device id, a domain or a server instance. Keep it stable. */
  clientId: string;
  /** Required when the licence covers several products. */
  product?: string;
  /** Called when a held seat is lost (the same as `lease.on('lost', ...)`). */
  onLost?: (event: LostEvent) => void;
  /** A fetch of your own (proxy, TLS settings); the global fetch by default. */
  fetch?: typeof fetch;
  /** Each request gives up after this long (default 10,000 ms). */
  requestTimeoutMs?: number;
  /** Retries of transient failures (default: from 1 s, doubling, at most 30 s, with jitter). */
  backoff?: Partial<BackoffPolicy>;
  /** For tests: time and timers. */
  clock?: LeaseClock;
  /** For tests: a source of numbers in [0, 1) for the jitter. */
  random?: () => number;
}

/**
 * The client of the License Tracking Server. `acquire()` takes a seat and returns a Lease that
 * keeps it; failures are LtsErrors whose `code` says why.
 */
export class LtsClient {
  private readonly transport: LtsTransport;
  private readonly clock: LeaseClock;

  constructor(private readonly options: LtsClientOptions) {
    this.clock = options.clock ?? systemClock;
    this.transport = new LtsTransport({
      url: options.url,
      fetch: options.fetch ?? globalThis.fetch,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      now: () => this.clock.now(),
    });
  }

  /** Acquires a seat and returns the Lease, or throws an LtsError (`seats-exhausted`, `license-revoked`, ...). */
  static connect(options: LtsClientOptions): Promise<Lease> {
    return new LtsClient(options).acquire();
  }

  /**
   * Takes a seat (or this clientId's current one) and starts heartbeating. Throws an LtsError when
   * the server refuses or cannot be reached; it does not retry, so the application can tell the user.
   */
  async acquire(): Promise<Lease> {
    const { licenseKey, clientId, product } = this.options;
    const request = { licenseKey, clientId, ...(product !== undefined && { product }) };
    const grant = await this.transport.acquire(request);
    const lease = new Lease(
      {
        transport: this.transport,
        request,
        clock: this.clock,
        random: this.options.random ?? Math.random,
        backoff: { ...DEFAULT_BACKOFF, ...this.options.backoff },
      },
      grant,
    );
    if (this.options.onLost) lease.on('lost', this.options.onLost);
    return lease;
  }
}
