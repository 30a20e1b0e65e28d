import { EventEmitter } from 'node:events';
import { LtsError } from './errors';
import { heartbeatDelayMs, retryDelayMs, type BackoffPolicy } from './timing';
import type { LeaseGrant, LtsTransport } from './transport';

/**
 * - `active`: the seat is ours; heartbeats go out on the server's interval.
 * - `renewing`: a heartbeat failed (network, 5xx, 429) and is being retried; the seat is still ours
 *   until `expiresAt`.
 * - `reacquiring`: the lease ended (410, or it ran out while the server was unreachable); a `lost`
 *   event said so, and the client is acquiring a seat again.
 * - `failed`: stopped for good; `error` says why (say, `license-revoked`). No more requests.
 * - `released`, `closed`: ended by the application.
 */
export type LeaseState = 'active' | 'renewing' | 'reacquiring' | 'failed' | 'released' | 'closed';

export interface RenewedEvent {
  leaseId: string;
  expiresAt: Date;
  /** True when this is a new lease after a `lost` (the leaseId may differ). */
  reacquired: boolean;
}

export interface LostEvent {
  leaseId: string;
  /** `ended`: the server ended it (410: released elsewhere, expired or revoked). `expired`: its time ran out before a heartbeat got through. */
  reason: 'ended' | 'expired';
  error?: LtsError;
}

export interface RetryEvent {
  error: LtsError;
  /** 1 for the first retry of this run of failures. */
  attempt: number;
  delayMs: number;
}

/** Not named `error`: an EventEmitter throws an `error` event nobody listens to, and crashes the app. */
export interface LeaseEvents {
  renewed: [RenewedEvent];
  lost: [LostEvent];
  retry: [RetryEvent];
  failed: [LtsError];
}

/** Time and timers, injectable; the default timers are unref'd so they never keep a process alive. */
export interface LeaseClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: LeaseClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** The longest a Node timer can wait. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LeaseSettings {
  transport: LtsTransport;
  request: { licenseKey: string; clientId: string; product?: string };
  clock: LeaseClock;
  random: () => number;
  backoff: BackoffPolicy;
}

/**
 * A seat held on the LTS. It heartbeats by itself, retries transient failures with backoff, tells
 * the application when the seat is lost and acquires one again. Call `release()` on shutdown.
 */
export class Lease extends EventEmitter<LeaseEvents> {
  private grant: LeaseGrant | null;
  private lastLeaseId: string;
  private current: LeaseState = 'active';
  private failure: LtsError | undefined;
  private failures = 0;
  private timer: unknown;
  private watchdog: unknown;
  private inFlight: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private released: Promise<void> | undefined;

  /** @internal Made by LtsClient.acquire(). */
  constructor(
    private readonly settings: LeaseSettings,
    first: LeaseGrant,
  ) {
    super();
    this.grant = first;
    this.lastLeaseId = first.leaseId;
    this.hold(first);
  }

  get state(): LeaseState {
    return this.current;
  }

  /** The current lease's id (the last one while none is held). */
  get leaseId(): string {
    return this.lastLeaseId;
  }

  get product(): string | undefined {
    return this.grant?.product ?? this.settings.request.product;
  }

  /** When the seat frees unless a heartbeat comes first (server time); null while none is held. */
  get expiresAt(): Date | null {
    return this.grant?.expiresAt ?? null;
  }

  /** True while the seat is ours by the local clock: the application may run its licensed feature. */
  get held(): boolean {
    return this.grant !== null && this.settings.clock.now() < this.grant.deadlineMs;
  }

  /** Why the lease stopped (state `failed`), or the last failure of a release. */
  get error(): LtsError | undefined {
    return this.failure;
  }

  /**
   * Frees the seat on the server at once and stops every timer. Idempotent: later calls return the
   * same promise. One DELETE, no retries (shutdown should not hang); if it fails the promise
   * rejects and the seat frees by itself when its TTL runs out.
   */
  release(): Promise<void> {
    this.released ??= (async () => {
      const wasStopped = this.isStopped();
      this.stop('released');
      // An acquisition in flight may be granted a seat: wait for it so that seat is released too.
      await this.inFlight;
      if (wasStopped || this.grant === null) return;
      try {
        await this.settings.transport.release(this.grant.leaseId);
        this.grant = null;
      } catch (error) {
        this.failure = error as LtsError;
        throw error;
      }
    })();
    return this.released;
  }

  /** Stops every timer and request without releasing the seat (it frees after its TTL). */
  close(): void {
    if (this.isStopped()) return;
    this.stop('closed');
    this.abort.abort(new Error('lease closed'));
  }

  private isStopped(): boolean {
    return this.current === 'failed' || this.current === 'released' || this.current === 'closed';
  }

  private stop(state: 'failed' | 'released' | 'closed'): void {
    this.current = state;
    this.settings.clock.clearTimeout(this.timer);
    this.settings.clock.clearTimeout(this.watchdog);
  }

  /** A grant arrived: keep it, watch its end, plan the next heartbeat. */
  private hold(grant: LeaseGrant): void {
    this.grant = grant;
    this.lastLeaseId = grant.leaseId;
    this.failures = 0;
    if (this.isStopped()) return;
    this.current = 'active';
    this.armWatchdog();
    const { clock } = this.settings;
    this.schedule(heartbeatDelayMs(grant.heartbeatIntervalSeconds, grant.deadlineMs, clock.now()));
  }

  /** At the lease's local deadline, if no heartbeat renewed it, it is lost: say so, acquire again. */
  private armWatchdog(): void {
    const { clock } = this.settings;
    clock.clearTimeout(this.watchdog);
    const grant = this.grant;
    if (grant === null) return;
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, grant.deadlineMs - clock.now()));
    this.watchdog = clock.setTimeout(() => {
      if (this.grant !== grant || this.isStopped()) return;
      if (clock.now() < grant.deadlineMs) return this.armWatchdog(); // a very long lease: wait on
      this.lose('expired');
    }, wait);
  }

  private lose(reason: LostEvent['reason'], error?: LtsError): void {
    this.grant = null;
    this.current = 'reacquiring';
    this.emit('lost', { leaseId: this.lastLeaseId, reason, ...(error && { error }) });
  }

  private schedule(delayMs: number): void {
    const { clock } = this.settings;
    clock.clearTimeout(this.timer);
    this.timer = clock.setTimeout(() => {
      this.inFlight = this.renew().finally(() => (this.inFlight = undefined));
    }, delayMs);
  }

  /** One heartbeat, or one acquisition once the lease is lost. */
  private async renew(): Promise<void> {
    const { transport, request } = this.settings;
    const grant = this.grant;
    try {
      const next = grant
        ? await transport.heartbeat(grant.leaseId, grant.product, this.abort.signal)
        : await transport.acquire(request, this.abort.signal);
      // Also true when the watchdog said `lost` while this heartbeat was on its way.
      const reacquired = this.grant === null;
      this.hold(next);
      if (!this.isStopped()) {
        this.emit('renewed', { leaseId: next.leaseId, expiresAt: next.expiresAt, reacquired });
      }
    } catch (caught) {
      if (this.isStopped()) return;
      const error =
        caught instanceof LtsError
          ? caught
          : new LtsError('network', 0, `LTS request failed: ${String(caught)}`, { cause: caught });
      this.failed(error, grant !== null);
    }
  }

  private failed(error: LtsError, fromHeartbeat: boolean): void {
    if (fromHeartbeat && (error.status === 410 || error.status === 404)) {
      // The server ended the lease (or no longer knows it): tell the app (unless the watchdog
      // already did), then acquire again at once.
      if (this.grant !== null) {
        this.settings.clock.clearTimeout(this.watchdog);
        this.lose('ended', error);
      }
      return this.schedule(0);
    }
    // Seats may free up again; the other refusals (403, 404, 400) will not change by retrying.
    if (error.transient || (!fromHeartbeat && error.code === 'seats-exhausted')) {
      if (this.grant !== null) this.current = 'renewing';
      const attempt = ++this.failures;
      const { backoff, random } = this.settings;
      const delayMs = retryDelayMs(attempt - 1, backoff, random(), error.retryAfterSeconds);
      this.emit('retry', { error, attempt, delayMs });
      return this.schedule(delayMs);
    }
    this.failure = error;
    this.grant = null;
    this.stop('failed');
    this.emit('failed', error);
  }
}
