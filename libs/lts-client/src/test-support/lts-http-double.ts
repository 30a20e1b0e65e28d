// TEST DOUBLE at the HTTP boundary: a small, in-memory LTS speaking the lease endpoints of the
// contract (CONTRACT.md "tracking (3106)"), so the client's int spec runs over real HTTP until the
// real tracking server lands (the e2e specs then run the client against both of its modes).
// It is not the tracking server: one process, no database, no events, no rate limit of its own.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const TYPE_BASE = 'https://docs.order-to-license.dev/problems/';

export interface DoubleLicense {
  /** product → seats */
  products: Record<string, number>;
  /** A 403 reason: license-revoked, license-expired, license-not-activated, wrong-tracking-mode. */
  refusal?: string;
}

interface DoubleLease {
  leaseId: string;
  licenseKey: string;
  product: string;
  clientId: string;
  expiresAt: number;
  ended: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  at: number;
  status: number;
}

/** An answer forced on the next matching requests: a 5xx, a 429 with retry-after. */
interface Injected {
  match: 'acquire' | 'heartbeat' | 'release';
  status: number;
  retryAfter?: string;
  left: number;
}

export class LtsHttpDouble {
  readonly requests: RecordedRequest[] = [];
  private readonly licenses = new Map<string, DoubleLicense>();
  private readonly leases = new Map<string, DoubleLease>();
  private injected: Injected[] = [];
  private server: http.Server | undefined;
  private port = 0;

  constructor(readonly timing: { ttlSeconds: number; heartbeatSeconds: number }) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  addLicense(key: string, license: DoubleLicense): void {
    this.licenses.set(key, license);
  }

  /** Revocation: the licence refuses new leases and every live one ends at once. */
  revoke(key: string): void {
    const license = this.licenses.get(key);
    if (license) license.refusal = 'license-revoked';
    for (const lease of this.leases.values()) if (lease.licenseKey === key) lease.ended = true;
  }

  /** Ends one lease on the server side (as the sweeper or an operator would). */
  endLease(leaseId: string): void {
    const lease = this.leases.get(leaseId);
    if (lease) lease.ended = true;
  }

  /** The next `times` requests of this kind get `status` (and `retry-after` when given). */
  inject(match: Injected['match'], status: number, times: number, retryAfter?: string): void {
    this.injected.push({ match, status, left: times, ...(retryAfter !== undefined && { retryAfter }) });
  }

  liveLeases(key: string, now = Date.now()): DoubleLease[] {
    return [...this.leases.values()].filter((l) => l.licenseKey === key && this.live(l, now));
  }

  count(method: string, pathPattern: RegExp, since = 0): number {
    return this.requests.filter((r) => r.method === method && pathPattern.test(r.path) && r.at >= since)
      .length;
  }

  /** Listens (on the same port as before after a stop, so a client sees the server come back). */
  async start(): Promise<void> {
    const server = http.createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and drops every connection: the client now gets connection errors. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private live(lease: DoubleLease, now: number): boolean {
    return !lease.ended && lease.expiresAt > now;
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const method = request.method ?? 'GET';
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ method, path, at: Date.now(), status });
      const text = body === undefined ? '' : JSON.stringify(body);
      const type = status >= 400 ? 'application/problem+json' : 'application/json';
      response.writeHead(status, { ...(text && { 'content-type': type }), ...headers });
      response.end(text);
    };
    const problem = (status: number, code: string, detail: string, headers: Record<string, string> = {}) =>
      send(status, { type: TYPE_BASE + code, title: code, status, detail }, headers);

    const heartbeat = /^\/v1\/lts\/leases\/([^/]+)\/heartbeat$/.exec(path);
    const lease = /^\/v1\/lts\/leases\/([^/]+)$/.exec(path);
    const kind =
      method === 'POST' && path === '/v1/lts/leases'
        ? 'acquire'
        : method === 'POST' && heartbeat
          ? 'heartbeat'
          : method === 'DELETE' && lease
            ? 'release'
            : undefined;
    if (kind === undefined) return problem(404, 'not-found', `Nothing is served at ${path}.`);

    const forced = this.injected.find((i) => i.match === kind && i.left > 0);
    if (forced) {
      forced.left--;
      return problem(
        forced.status,
        forced.status === 429 ? 'too-many-requests' : 'service-unavailable',
        'Injected by the test double.',
        forced.retryAfter === undefined ? {} : { 'retry-after': forced.retryAfter },
      );
    }

    const now = Date.now();
    if (kind === 'acquire') {
      let body: { licenseKey?: unknown; clientId?: unknown; product?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        return problem(400, 'validation-failed', 'The request body is not valid JSON.');
      }
      if (typeof body.licenseKey !== 'string' || typeof body.clientId !== 'string' || body.clientId === '') {
        return problem(400, 'validation-failed', 'licenseKey and clientId are required strings.');
      }
      const license = this.licenses.get(body.licenseKey);
      if (!license) return problem(404, 'license-unknown', 'No licence has this key.');
      if (license.refusal)
        return problem(403, license.refusal, `The licence is refused: ${license.refusal}.`);
      const products = Object.keys(license.products);
      const product =
        typeof body.product === 'string' ? body.product : products.length === 1 ? products[0] : undefined;
      if (product === undefined) {
        return problem(400, 'product-required', `Name one of: ${products.join(', ')}.`);
      }
      const seats = license.products[product];
      if (seats === undefined) return problem(400, 'product-not-licensed', `${product} is not licensed.`);
      const held = this.liveLeases(body.licenseKey, now).filter((l) => l.product === product);
      const mine = held.find((l) => l.clientId === body.clientId);
      if (mine) return send(200, this.view(mine));
      if (held.length >= seats) return problem(409, 'seats-exhausted', `All ${seats} seats are held.`);
      const fresh: DoubleLease = {
        leaseId: randomUUID(),
        licenseKey: body.licenseKey,
        product,
        clientId: body.clientId,
        expiresAt: now + this.timing.ttlSeconds * 1000,
        ended: false,
      };
      this.leases.set(fresh.leaseId, fresh);
      return send(201, this.view(fresh));
    }
    const id = decodeURIComponent((heartbeat ?? lease)?.[1] ?? '');
    const found = this.leases.get(id);
    if (!found) return problem(404, 'lease-not-found', 'No such lease.');
    if (kind === 'heartbeat') {
      if (!this.live(found, now)) return problem(410, 'lease-gone', 'The lease ended: acquire again.');
      found.expiresAt = now + this.timing.ttlSeconds * 1000;
      return send(200, this.view(found));
    }
    found.ended = true;
    return send(204);
  }

  private view(lease: DoubleLease) {
    return {
      leaseId: lease.leaseId,
      product: lease.product,
      expiresAt: new Date(lease.expiresAt).toISOString(),
      heartbeatIntervalSeconds: this.timing.heartbeatSeconds,
    };
  }
}
