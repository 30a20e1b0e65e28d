import { LtsError, invalidResponse, networkError, problemError } from './errors';
import { localDeadlineMs } from './timing';

/** A lease as the server granted or renewed it. */
export interface LeaseGrant {
  leaseId: string;
  product: string;
  /** The server's `expiresAt`. */
  expiresAt: Date;
  heartbeatIntervalSeconds: number;
  /** Local time (ms) until which the seat is ours, corrected for the clocks' difference. */
  deadlineMs: number;
}

export interface TransportOptions {
  url: string;
  fetch: typeof fetch;
  requestTimeoutMs: number;
  now: () => number;
}

/** The lease endpoints of the LTS contract, one request each; failures are LtsErrors. */
export class LtsTransport {
  private readonly base: string;

  constructor(private readonly options: TransportOptions) {
    const url = new URL(options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`LTS url must be http(s), not ${url.protocol}`);
    }
    this.base = url.href.replace(/\/+$/, '');
  }

  /** POST /v1/lts/leases: `created` is false when this clientId already held a lease. */
  async acquire(
    body: { licenseKey: string; clientId: string; product?: string },
    signal?: AbortSignal,
  ): Promise<LeaseGrant & { created: boolean }> {
    const sentAt = this.options.now();
    const response = await this.send('POST', '/v1/lts/leases', body, signal);
    const grant = this.grant(response, sentAt, undefined);
    return { ...grant, created: response.status === 201 };
  }

  /** POST /v1/lts/leases/{id}/heartbeat. */
  async heartbeat(leaseId: string, product: string, signal?: AbortSignal): Promise<LeaseGrant> {
    const sentAt = this.options.now();
    const response = await this.send(
      'POST',
      `/v1/lts/leases/${encodeURIComponent(leaseId)}/heartbeat`,
      undefined,
      signal,
    );
    return this.grant(response, sentAt, product);
  }

  /** DELETE /v1/lts/leases/{id}: an unknown or already ended lease is no error. */
  async release(leaseId: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.send('DELETE', `/v1/lts/leases/${encodeURIComponent(leaseId)}`, undefined, signal);
    } catch (error) {
      if (error instanceof LtsError && (error.status === 404 || error.status === 410)) return;
      throw error;
    }
  }

  private async send(
    method: string,
    path: string,
    body: object | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ status: number; json: unknown; date: string | null }> {
    const url = this.base + path;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.options.requestTimeoutMs);
    timer.unref?.();
    const signals = signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal;
    let response: Response;
    let text: string;
    try {
      response = await this.options.fetch(url, {
        method,
        headers: {
          accept: 'application/json, application/problem+json',
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: signals,
      });
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error;
      throw networkError(this.base, error, timeout.signal.aborted);
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) {
      throw problemError(response.status, text, response.headers.get('retry-after'), this.options.now());
    }
    let json: unknown = undefined;
    if (text !== '') {
      try {
        json = JSON.parse(text);
      } catch {
        throw invalidResponse(response.status, 'a body that is not JSON');
      }
    }
    return { status: response.status, json, date: response.headers.get('date') };
  }

  private grant(
    response: { status: number; json: unknown; date: string | null },
    sentAt: number,
    knownProduct: string | undefined,
  ): LeaseGrant {
    const body = (response.json ?? {}) as Record<string, unknown>;
    const expiresAt = typeof body.expiresAt === 'string' ? new Date(body.expiresAt) : undefined;
    const interval = body.heartbeatIntervalSeconds;
    const product = typeof body.product === 'string' ? body.product : knownProduct;
    if (
      typeof body.leaseId !== 'string' ||
      product === undefined ||
      expiresAt === undefined ||
      Number.isNaN(expiresAt.getTime()) ||
      typeof interval !== 'number' ||
      !(interval > 0)
    ) {
      throw invalidResponse(response.status, 'a body that is not a lease');
    }
    const serverDate = response.date === null ? undefined : Date.parse(response.date);
    return {
      leaseId: body.leaseId,
      product,
      expiresAt,
      heartbeatIntervalSeconds: interval,
      deadlineMs: localDeadlineMs(expiresAt.getTime(), serverDate, sentAt),
    };
  }
}
