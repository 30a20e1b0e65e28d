// The client over real HTTP against LtsHttpDouble, a TEST DOUBLE of the LTS lease endpoints
// (test-support/lts-http-double.ts), until the tracking server's modes land; the e2e specs then
// run this client against the real server in both modes.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { LtsClient, LtsError, type Lease, type LeaseEvents, type LtsClientOptions } from './index';
import { LtsHttpDouble } from './test-support/lts-http-double';

const KEY = 'OTL1-TEST-DOUBLE-KEY-0001';
const FAST = { initialMs: 100, maxMs: 400 };

/** The next `event` of the lease, or a failure after `timeoutMs`. */
async function next<E extends keyof LeaseEvents>(
  lease: Lease,
  event: E,
  timeoutMs = 10_000,
): Promise<LeaseEvents[E][0]> {
  const [value] = (await once(lease, event, { signal: AbortSignal.timeout(timeoutMs) })) as LeaseEvents[E];
  return value;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('LtsClient against an HTTP test double of the LTS', () => {
  let lts: LtsHttpDouble;
  const leases: Lease[] = [];
  const options = (extra: Partial<LtsClientOptions> = {}): LtsClientOptions => ({
    url: lts.url,
    licenseKey: KEY,
    clientId: `device-${leases.length}-${Math.random().toString(36).slice(2, 8)}`,
    backoff: FAST,
    ...extra,
  });
  const connect = async (extra: Partial<LtsClientOptions> = {}) => {
    const lease = await LtsClient.connect(options(extra));
    leases.push(lease);
    return lease;
  };

  beforeEach(async () => {
    // TTL 5 s, heartbeats every second: long enough that a heartbeat on time always lands before
    // the client's conservative deadline (TTL less up to 2 s for the Date header's whole seconds).
    lts = new LtsHttpDouble({ ttlSeconds: 5, heartbeatSeconds: 1 });
    lts.addLicense(KEY, { products: { 'barcode-reader-js': 2 } });
    await lts.start();
  });

  afterEach(async () => {
    for (const lease of leases.splice(0)) lease.close();
    await lts.stop();
  });

  it('acquires a seat and heartbeats on the interval the server gives', async () => {
    const lease = await connect();
    expect(lease.state).toBe('active');
    expect(lease.held).toBe(true);
    expect(lease.product).toBe('barcode-reader-js');
    const firstExpiry = lease.expiresAt!.getTime();
    const started = Date.now();

    const renewed = await next(lease, 'renewed');
    expect(renewed).toMatchObject({ leaseId: lease.leaseId, reacquired: false });
    await next(lease, 'renewed');
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1_900); // two beats, one second apart
    expect(lease.expiresAt!.getTime()).toBeGreaterThan(firstExpiry);
    expect(lts.count('POST', /\/heartbeat$/)).toBe(2);
    expect(lts.liveLeases(KEY)).toHaveLength(1);
  });

  it('gets the same lease back for the same clientId, not a second seat', async () => {
    const first = await connect({ clientId: 'device-same' });
    const again = await connect({ clientId: 'device-same' });
    expect(again.leaseId).toBe(first.leaseId);
    expect(lts.liveLeases(KEY)).toHaveLength(1);
  });

  it('throws typed errors an app can explain: seats, licence refusals, unknown key, product, rate limit', async () => {
    await connect();
    await connect();
    const full = await LtsClient.connect(options()).catch((error: unknown) => error);
    expect(full).toBeInstanceOf(LtsError);
    expect(full).toMatchObject({ code: 'seats-exhausted', status: 409, transient: false });

    for (const refusal of [
      'license-revoked',
      'license-expired',
      'license-not-activated',
      'wrong-tracking-mode',
    ]) {
      lts.addLicense(`KEY-${refusal}`, { products: { a: 1 }, refusal });
      const refused = await LtsClient.connect(options({ licenseKey: `KEY-${refusal}` })).catch(
        (e: unknown) => e,
      );
      expect(refused).toMatchObject({ code: refusal, status: 403, licenseRefused: true });
    }

    const unknown = await LtsClient.connect(options({ licenseKey: 'OTL1-NOBODY' })).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 'license-unknown', status: 404 });

    lts.addLicense('KEY-TWO', { products: { a: 1, b: 1 } });
    const ambiguous = await LtsClient.connect(options({ licenseKey: 'KEY-TWO' })).catch((e: unknown) => e);
    expect(ambiguous).toMatchObject({ code: 'product-required', status: 400 });
    const chosen = await connect({ licenseKey: 'KEY-TWO', product: 'b' });
    expect(chosen.product).toBe('b');

    lts.inject('acquire', 429, 1, '7');
    const limited = await LtsClient.connect(options()).catch((e: unknown) => e);
    expect(limited).toMatchObject({
      code: 'too-many-requests',
      status: 429,
      retryAfterSeconds: 7,
      transient: true,
    });
  });

  it('reports a server it cannot reach as a network error', async () => {
    await lts.stop();
    const error = await LtsClient.connect(options()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'network', status: 0, transient: true });
  });

  it('acquires again after a 410, with a new lease, after telling the app', async () => {
    const lost: unknown[] = [];
    const lease = await connect({ onLost: (event) => lost.push(event) });
    const oldId = lease.leaseId;
    lts.endLease(oldId);

    const event = await next(lease, 'lost');
    expect(event).toMatchObject({
      leaseId: oldId,
      reason: 'ended',
      error: { code: 'lease-gone', status: 410 },
    });
    expect(lost).toEqual([event]);
    const renewed = await next(lease, 'renewed');
    expect(renewed.reacquired).toBe(true);
    expect(renewed.leaseId).not.toBe(oldId);
    expect(lease.leaseId).toBe(renewed.leaseId);
    expect(lease.state).toBe('active');
    expect(lts.liveLeases(KEY).map((l) => l.leaseId)).toEqual([renewed.leaseId]);
  });

  it('stops and reports when re-acquiring is refused (revoked): no loop', async () => {
    const lease = await connect();
    lts.revoke(KEY);
    const lost = await next(lease, 'lost');
    expect(lost.reason).toBe('ended');
    const failed = await next(lease, 'failed');
    expect(failed).toMatchObject({ code: 'license-revoked', status: 403, licenseRefused: true });
    expect(lease.state).toBe('failed');
    expect(lease.error).toBe(failed);
    expect(lease.held).toBe(false);

    const stoppedAt = Date.now();
    await sleep(2_500);
    expect(lts.requests.filter((r) => r.at >= stoppedAt)).toEqual([]);
  });

  it('retries transient heartbeat failures with backoff and keeps the same lease', async () => {
    const lease = await connect();
    const id = lease.leaseId;
    lts.inject('heartbeat', 503, 2);
    const retries = [await next(lease, 'retry'), await next(lease, 'retry')];
    expect(retries.map((r) => [r.attempt, r.error.code])).toEqual([
      [1, 'service-unavailable'],
      [2, 'service-unavailable'],
    ]);
    expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(FAST.initialMs / 2);
    expect(retries[1]!.delayMs).toBeGreaterThanOrEqual(FAST.initialMs);
    expect(lease.state).toBe('renewing');
    expect(lease.held).toBe(true);
    const renewed = await next(lease, 'renewed');
    expect(renewed).toMatchObject({ leaseId: id, reacquired: false });
    expect(lease.state).toBe('active');
  });

  it('waits as long as a 429 retry-after asks', async () => {
    const lease = await connect();
    lts.inject('heartbeat', 429, 1, '2');
    const retry = await next(lease, 'retry');
    expect(retry).toMatchObject({ attempt: 1, delayMs: 2_000, error: { code: 'too-many-requests' } });
    const limitedAt = Date.now();
    await next(lease, 'renewed');
    expect(Date.now() - limitedAt).toBeGreaterThanOrEqual(1_900);
  });

  it('says the seat is lost no later than expiresAt while the server is unreachable, then gets one back', async () => {
    const lease = await connect();
    await next(lease, 'renewed');
    const lastExpiry = lease.expiresAt!.getTime();
    await lts.stop();

    const retry = await next(lease, 'retry');
    expect(retry.error.code).toBe('network');
    const lost = await next(lease, 'lost');
    const lostAt = Date.now();
    expect(lost.reason).toBe('expired');
    expect(lostAt).toBeLessThanOrEqual(lastExpiry + 100);
    expect(lostAt).toBeGreaterThanOrEqual(lastExpiry - 2_100);
    expect(lease.state).toBe('reacquiring');
    expect(lease.held).toBe(false);
    expect(lease.expiresAt).toBeNull();

    // The client's deadline is on the safe side (up to 2 s early): let the server's pass too, so the
    // old lease has expired there and the client must get a new one.
    await sleep(Math.max(0, lastExpiry - Date.now() + 100));
    await lts.start(); // same port, same state
    const renewed = await next(lease, 'renewed');
    expect(renewed.reacquired).toBe(true);
    expect(renewed.leaseId).not.toBe(lost.leaseId);
    expect(lease.held).toBe(true);
  });

  it('keeps retrying a re-acquisition refused for lack of seats, and gets the seat when one frees', async () => {
    lts.addLicense('KEY-ONE-SEAT', { products: { a: 1 } });
    const lease = await connect({ licenseKey: 'KEY-ONE-SEAT' });
    lts.endLease(lease.leaseId);
    // Before the lease's next heartbeat finds it ended, another client takes the freed seat.
    const taker = await connect({ licenseKey: 'KEY-ONE-SEAT' });
    await next(lease, 'lost');
    const retry = await next(lease, 'retry');
    expect(retry.error.code).toBe('seats-exhausted');
    expect(lease.state).toBe('reacquiring');
    await taker.release();
    const renewed = await next(lease, 'renewed');
    expect(renewed.reacquired).toBe(true);
    expect(lts.liveLeases('KEY-ONE-SEAT').map((l) => l.leaseId)).toEqual([renewed.leaseId]);
  });

  it('release frees the seat at once, is idempotent and stops the heartbeats', async () => {
    const lease = await connect();
    await connect();
    const first = lease.release();
    const second = lease.release();
    expect(second).toBe(first);
    await first;
    await lease.release();
    expect(lease.state).toBe('released');
    expect(lts.count('DELETE', /^\/v1\/lts\/leases\//)).toBe(1);
    const newcomer = await connect();
    expect(newcomer.state).toBe('active');

    const releasedAt = Date.now();
    await sleep(1_500);
    expect(lts.count('POST', new RegExp(`${lease.leaseId}/heartbeat$`), releasedAt)).toBe(0);
  });

  it('close stops every request without releasing; the seat stays until its TTL', async () => {
    const lease = await connect();
    // Counted, not timed: the acquisition's own record can carry the very millisecond of close().
    const sentBeforeClose = lts.requests.length;
    lease.close();
    lease.close();
    expect(lease.state).toBe('closed');
    await sleep(1_500);
    expect(lts.requests.slice(sentBeforeClose)).toEqual([]);
    expect(lts.liveLeases(KEY).map((l) => l.leaseId)).toEqual([lease.leaseId]);
  });

  it('never keeps a process alive: one that holds a lease and forgets it exits by itself', async () => {
    const script = `
      const { LtsClient } = require(${JSON.stringify(join(__dirname, 'index.ts'))});
      LtsClient.connect({ url: process.argv[1], licenseKey: ${JSON.stringify(KEY)}, clientId: 'child' })
        .then((lease) => console.log('acquired ' + lease.leaseId), (e) => { console.error(e); process.exit(2); });
    `;
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script, lts.url], {
      env: { ...process.env, TS_NODE_PROJECT: join(__dirname, '..', '..', '..', 'tsconfig.spec.json') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    clearTimeout(kill);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(output).toMatch(/^acquired [0-9a-f-]{36}/);
    expect(lts.liveLeases(KEY).map((l) => l.clientId)).toEqual(['child']);
  });
});
