import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LtsClient, LtsError, type RenewedEvent } from '@otl/lts-client';
import { delay, eventually, type RunningService } from '@otl/testing';
import {
  YEAR_MS,
  call,
  payloadFor,
  reason,
  seats,
  sign,
  startSelfHosted,
  tempDir,
  vendorKey,
  type VendorKey,
} from './self-hosted-support';

// The customer's own LTS, started from dist/ as a customer runs it: no Postgres, no Kafka, no
// TEST_PG_ADMIN_URL or KAFKA_BROKERS needed (the server gets only its own settings).
const TTL = { LTS_LEASE_TTL_SECONDS: '2', LTS_HEARTBEAT_SECONDS: '1', LTS_SWEEP_SECONDS: '1' };
const future = () => new Date(Date.now() + YEAR_MS).toISOString();

describe('self-hosted License Tracking Server', () => {
  const dir = tempDir('lts-e2e');
  const dataDir = join(dir, 'data');
  let key: VendorKey;
  let lts: RunningService;
  let instanceId: string;

  beforeAll(async () => {
    key = vendorKey(dir);
    lts = await startSelfHosted(dataDir, key.keysFile, TTL);
    const instance = await call(lts.url, 'GET', '/v1/lts/instance');
    instanceId = String(instance.body['ltsInstanceId']);
  });
  afterAll(async () => {
    await lts?.stop();
  });

  const acquire = (licenseKey: string, clientId: string, product?: string) =>
    call(lts.url, 'POST', '/v1/lts/leases', { licenseKey, clientId, ...(product ? { product } : {}) });
  const load = async (entitlements = [seats('barcode-reader-js', 3)]) => {
    const payload = payloadFor(instanceId, entitlements);
    const answer = await call(lts.url, 'POST', '/v1/lts/license-files', sign(payload, key));
    expect(answer.status).toBe(201);
    return payload;
  };

  it('has an instance id of its own and says it is self-hosted', async () => {
    expect(instanceId).toMatch(/^lts-[0-9a-z]{20}$/);
    const instance = await call(lts.url, 'GET', '/v1/lts/instance');
    expect(instance.body).toMatchObject({
      ltsInstanceId: instanceId,
      mode: 'self-hosted',
      vendorKeyIds: [key.kid],
    });
    expect((await call(lts.url, 'GET', '/health/ready')).body).toEqual({
      status: 'up',
      checks: { sqlite: 'up' },
    });
  });

  it('refuses bad signatures, unknown keys, other instances, expired and vendor-hosted licences, naming each', async () => {
    const good = payloadFor(instanceId, [seats('barcode-reader-js', 5)]);
    const signed = sign(good, key);
    const altered = Buffer.from(
      JSON.stringify({ ...good, entitlements: [seats('barcode-reader-js', 500)] }),
    ).toString('base64url');
    const strangerDir = tempDir('lts-stranger');
    const cases: [string, unknown, string][] = [
      ['altered payload', { ...signed, payload: altered }, 'license-file-bad-signature'],
      [
        'signature of another file',
        { ...signed, signature: sign(payloadFor(instanceId, good.entitlements), key).signature },
        'license-file-bad-signature',
      ],
      ['unknown kid', sign(good, vendorKey(strangerDir, 'someone-else')), 'license-file-unknown-key'],
      [
        'known kid, other key',
        sign(good, { ...vendorKey(strangerDir), kid: key.kid }),
        'license-file-bad-signature',
      ],
      [
        'another instance',
        sign({ ...good, ltsInstanceId: 'lts-0000000000000000000a' }, key),
        'license-file-wrong-instance',
      ],
      ['no instance', sign({ ...good, ltsInstanceId: null }, key), 'license-file-wrong-instance'],
      [
        'expired',
        sign(
          {
            ...good,
            entitlements: [seats('barcode-reader-js', 5, new Date(Date.now() - 1000).toISOString())],
          },
          key,
        ),
        'license-file-expired',
      ],
      [
        'vendor-hosted',
        sign(
          { ...good, trackingMode: 'vendor-hosted', ltsInstanceId: null, trackingUrl: 'http://lts.example' },
          key,
        ),
        'license-file-vendor-hosted',
      ],
      ['not a file', { format: 'license-file/v1', kid: key.kid }, 'license-file-malformed'],
      ['no entitlements', sign({ ...good, entitlements: [] }, key), 'license-file-malformed'],
    ];
    for (const [what, body, expected] of cases) {
      const answer = await call(lts.url, 'POST', '/v1/lts/license-files', body);
      expect({ what, status: answer.status, reason: reason(answer) }).toEqual({
        what,
        status: 400,
        reason: expected,
      });
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    const wrongInstance = await call(lts.url, 'POST', '/v1/lts/license-files', cases[4]![1]);
    expect(wrongInstance.body).toMatchObject({
      ltsInstanceId: instanceId,
      fileLtsInstanceId: 'lts-0000000000000000000a',
    });
    // Nothing refused was stored: the key is unknown here.
    expect((await call(lts.url, 'GET', '/v1/lts/license-files')).body).toEqual([]);
    expect(reason(await acquire(good.licenseKey, 'device-1'))).toBe('license-unknown');
    // A 2-year licence with one term ended still loads: only a licence with every term ended is refused.
    const partly = payloadFor(instanceId, [
      seats('barcode-reader-js', 2, new Date(Date.now() - 1000).toISOString()),
      seats('barcode-reader-js', 1, future()),
    ]);
    expect((await call(lts.url, 'POST', '/v1/lts/license-files', sign(partly, key))).status).toBe(201);
    const usage = await call(lts.url, 'GET', `/v1/lts/licenses/${partly.licenseKey}/usage`);
    expect(usage.body).toEqual([expect.objectContaining({ product: 'barcode-reader-js', seatsTotal: 1 })]);
  });

  it('loads a file: answers what it loaded and keeps the key hash, never the key', async () => {
    const payload = payloadFor(instanceId, [
      seats('barcode-reader-js', 2, future()),
      { ...seats('web-twain', 1), unit: 'domain' },
    ]);
    const answer = await call(lts.url, 'POST', '/v1/lts/license-files', sign(payload, key));
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({
      outcome: 'loaded',
      licenseId: payload.licenseId,
      accountId: payload.accountId,
      ltsInstanceId: instanceId,
      entitlements: payload.entitlements,
      products: ['barcode-reader-js', 'web-twain'],
      issuedAt: payload.issuedAt,
      kid: key.kid,
    });
    expect(JSON.stringify(answer.body)).not.toContain(payload.licenseKey);
    const listed = await call(lts.url, 'GET', '/v1/lts/license-files');
    expect(JSON.stringify(listed.body)).toContain(payload.licenseId);
    expect(JSON.stringify(listed.body)).not.toContain(payload.licenseKey);
    // The database files (main and write-ahead log) hold neither the key nor the signed payload.
    for (const file of readdirSync(dataDir)) {
      const bytes = readFileSync(join(dataDir, file));
      expect({ file, key: bytes.includes(payload.licenseKey) }).toEqual({ file, key: false });
      expect({ file, key: bytes.includes(payload.licenseKey.replace(/-/g, '')) }).toEqual({
        file,
        key: false,
      });
    }
    // Several products: one must be named; each has its own seats.
    expect(reason(await acquire(payload.licenseKey, 'd1'))).toBe('product-required');
    expect((await acquire(payload.licenseKey, 'example.com', 'web-twain')).status).toBe(201);
    expect(reason(await acquire(payload.licenseKey, 'example.org', 'web-twain'))).toBe('seats-exhausted');
    expect((await acquire(payload.licenseKey, 'd1', 'barcode-reader-js')).status).toBe(201);
  });

  it('grants exactly the seats to concurrent clients, and a client its own lease again', async () => {
    const { licenseKey } = await load([seats('barcode-reader-js', 3)]);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, index) => acquire(licenseKey, `device-${index}`)),
    );
    const granted = answers.filter((answer) => answer.status === 201);
    const refused = answers.filter((answer) => answer.status === 409);
    expect([granted.length, refused.length]).toEqual([3, 9]);
    expect(new Set(refused.map(reason))).toEqual(new Set(['seats-exhausted']));
    expect(granted[0]!.body).toMatchObject({ product: 'barcode-reader-js', heartbeatIntervalSeconds: 1 });
    const holder = answers.findIndex((answer) => answer.status === 201);
    const again = await acquire(licenseKey, `device-${holder}`);
    expect(again.status).toBe(200);
    expect(again.body['leaseId']).toBe(answers[holder]!.body['leaseId']);
    const usage = await call(lts.url, 'GET', `/v1/lts/licenses/${licenseKey}/usage`);
    expect(usage.body).toEqual([
      expect.objectContaining({ product: 'barcode-reader-js', unit: 'device', seatsTotal: 3, seatsInUse: 3 }),
    ]);
  });

  it('keeps a lease by heartbeats, ends it after the TTL (410) and frees its seat', async () => {
    const { licenseKey } = await load([seats('barcode-reader-js', 1)]);
    const lease = await acquire(licenseKey, 'beating');
    const leaseId = String(lease.body['leaseId']);
    // Three heartbeats, each within the 2 s TTL, carry the lease past the TTL of its acquisition.
    for (let beat = 0; beat < 3; beat++) {
      await delay(900);
      const answer = await call(lts.url, 'POST', `/v1/lts/leases/${leaseId}/heartbeat`);
      expect(answer.status).toBe(200);
      expect(Date.parse(String(answer.body['expiresAt']))).toBeGreaterThan(Date.now() + 1000);
    }
    expect(reason(await acquire(licenseKey, 'waiting'))).toBe('seats-exhausted');
    await delay(2300); // silent for longer than the TTL
    expect(reason(await call(lts.url, 'POST', `/v1/lts/leases/${leaseId}/heartbeat`))).toBe('lease-gone');
    expect((await call(lts.url, 'POST', `/v1/lts/leases/${leaseId}/heartbeat`)).status).toBe(410);
    expect((await acquire(licenseKey, 'waiting')).status).toBe(201);
    const unknown = await call(
      lts.url,
      'POST',
      '/v1/lts/leases/8d6f2a4e-0c1b-4b7a-9e3d-2f1a0b9c8d7e/heartbeat',
    );
    expect([unknown.status, reason(unknown)]).toEqual([404, 'lease-not-found']);
  });

  it('frees a seat at once on release; releasing again is a no-op', async () => {
    const { licenseKey } = await load([seats('barcode-reader-js', 1)]);
    const leaseId = String((await acquire(licenseKey, 'first')).body['leaseId']);
    expect(reason(await acquire(licenseKey, 'second'))).toBe('seats-exhausted');
    expect((await call(lts.url, 'DELETE', `/v1/lts/leases/${leaseId}`)).status).toBe(204);
    expect((await call(lts.url, 'DELETE', `/v1/lts/leases/${leaseId}`)).status).toBe(204);
    expect((await call(lts.url, 'POST', `/v1/lts/leases/${leaseId}/heartbeat`)).status).toBe(410);
    expect((await acquire(licenseKey, 'second')).status).toBe(201);
    expect(
      (await call(lts.url, 'DELETE', '/v1/lts/leases/8d6f2a4e-0c1b-4b7a-9e3d-2f1a0b9c8d7e')).status,
    ).toBe(404);
  });

  it('replaces a licence by a newer file (renewal), keeps the same file as is and refuses an older one', async () => {
    const first = payloadFor(instanceId, [seats('barcode-reader-js', 1, future())], {
      issuedAt: new Date(Date.now() - 60_000).toISOString(),
    });
    const older = {
      ...first,
      issuedAt: new Date(Date.now() - 120_000).toISOString(),
      entitlements: [seats('barcode-reader-js', 9)],
    };
    const renewal = {
      ...first,
      issuedAt: new Date().toISOString(),
      entitlements: [seats('barcode-reader-js', 2, future())],
    };
    const post = (payload: typeof first) =>
      call(lts.url, 'POST', '/v1/lts/license-files', sign(payload, key));
    expect((await post(first)).body['outcome']).toBe('loaded');
    expect((await acquire(first.licenseKey, 'a')).status).toBe(201);
    expect(reason(await acquire(first.licenseKey, 'b'))).toBe('seats-exhausted');
    const again = await post(first);
    expect([again.status, again.body['outcome']]).toEqual([200, 'unchanged']);
    const renewed = await post(renewal);
    expect([renewed.status, renewed.body['outcome'], renewed.body['entitlements']]).toEqual([
      201,
      'renewed',
      renewal.entitlements,
    ]);
    expect((await acquire(first.licenseKey, 'b')).status).toBe(201);
    for (const stale of [older, first]) {
      const answer = await post(stale);
      expect([answer.status, reason(answer)]).toEqual([409, 'license-file-outdated']);
    }
    const usage = await call(lts.url, 'GET', `/v1/lts/licenses/${first.licenseKey}/usage`);
    expect(usage.body).toEqual([expect.objectContaining({ seatsTotal: 2, seatsInUse: 2 })]);
    const listed = (await call(lts.url, 'GET', '/v1/lts/license-files')).body as unknown as {
      licenseId: string;
      issuedAt: string;
    }[];
    expect(listed.filter((license) => license.licenseId === first.licenseId)).toEqual([
      expect.objectContaining({ issuedAt: renewal.issuedAt }),
    ]);
  });

  it('serves the client library: it keeps its seat by heartbeats, takes one again after 410 and releases it', async () => {
    const { licenseKey } = await load([seats('barcode-reader-js', 1)]);
    const lease = await LtsClient.connect({ url: lts.url, licenseKey, clientId: 'app-1' });
    const renewed: RenewedEvent[] = [];
    lease.on('renewed', (event) => renewed.push(event));
    const refused = await LtsClient.connect({ url: lts.url, licenseKey, clientId: 'app-2' }).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(LtsError);
    expect((refused as LtsError).code).toBe('seats-exhausted');
    const first = lease.leaseId;
    await delay(3500); // longer than the 2 s TTL: only the client's heartbeats keep the seat
    expect(lease.held).toBe(true);
    expect(renewed.filter((event) => !event.reacquired).length).toBeGreaterThanOrEqual(2);
    // The lease ends on the server (released by an operator): the next heartbeat is a 410 and the
    // client acquires a seat again, with a new lease.
    expect((await call(lts.url, 'DELETE', `/v1/lts/leases/${first}`)).status).toBe(204);
    const again = await eventually(() => renewed.find((event) => event.reacquired), {
      what: 're-acquisition',
    });
    expect(again.leaseId).not.toBe(first);
    await lease.release();
    const usage = await call(lts.url, 'GET', `/v1/lts/licenses/${licenseKey}/usage`);
    expect(usage.body).toEqual([expect.objectContaining({ seatsInUse: 0 })]);
    const next = await LtsClient.connect({ url: lts.url, licenseKey, clientId: 'app-2' });
    await next.release();
  });

  it('answers 400 for a body that is not a lease request, and stores nothing', async () => {
    const { licenseKey } = await load([seats('barcode-reader-js', 1)]);
    expect(
      (await call(lts.url, 'POST', '/v1/lts/leases', { licenseKey: 'OTL1-nope', clientId: 'x' })).status,
    ).toBe(400);
    expect(
      (await call(lts.url, 'POST', '/v1/lts/leases', { licenseKey, clientId: 'has space' })).status,
    ).toBe(400);
    expect(
      (await call(lts.url, 'POST', '/v1/lts/leases', { licenseKey, clientId: 'x', extra: 1 })).status,
    ).toBe(400);
    const usage = await call(lts.url, 'GET', `/v1/lts/licenses/${licenseKey}/usage`);
    expect(usage.body).toEqual([expect.objectContaining({ seatsInUse: 0 })]);
  });
});

describe('self-hosted LTS across a restart and a SIGKILL', () => {
  const dir = tempDir('lts-restart');
  const dataDir = join(dir, 'data');
  const key = vendorKey(dir);
  let lts: RunningService | undefined;
  afterAll(async () => {
    await lts?.stop();
  });

  it('keeps its identity, licences and leases', async () => {
    lts = await startSelfHosted(dataDir, key.keysFile);
    const port = lts.port;
    const instanceId = String((await call(lts.url, 'GET', '/v1/lts/instance')).body['ltsInstanceId']);
    const payload = payloadFor(instanceId, [seats('barcode-reader-js', 2)]);
    expect((await call(lts.url, 'POST', '/v1/lts/license-files', sign(payload, key))).status).toBe(201);
    const acquire = (clientId: string) =>
      call(lts!.url, 'POST', '/v1/lts/leases', { licenseKey: payload.licenseKey, clientId });
    const first = await acquire('device-a');
    expect(first.status).toBe(201);

    const state = async () => ({
      instance: (await call(lts!.url, 'GET', '/v1/lts/instance')).body['ltsInstanceId'],
      licenses: (await call(lts!.url, 'GET', '/v1/lts/license-files')).body,
      usage: (await call(lts!.url, 'GET', `/v1/lts/licenses/${payload.licenseKey}/usage`)).body,
    });
    const beforeRestart = await state();

    await lts.stop(); // SIGTERM: Nest closes the app (and the database), then exits by the signal
    expect(lts.output()).not.toMatch(/"level":"(error|fatal)"/);
    lts = await startSelfHosted(dataDir, key.keysFile, {}, port);
    expect(await state()).toEqual(beforeRestart);
    const again = await acquire('device-a');
    expect([again.status, again.body['leaseId']]).toEqual([200, first.body['leaseId']]);
    expect(
      (await call(lts.url, 'POST', `/v1/lts/leases/${String(first.body['leaseId'])}/heartbeat`)).status,
    ).toBe(200);

    // A lease granted just before a SIGKILL (no shutdown hook runs) is there after it.
    const second = await acquire('device-b');
    expect(second.status).toBe(201);
    const beforeKill = await state();
    await lts.kill();
    lts = await startSelfHosted(dataDir, key.keysFile, {}, port);
    expect(await state()).toEqual(beforeKill);
    expect(beforeKill.instance).toBe(instanceId);
    expect(reason(await acquire('device-c'))).toBe('seats-exhausted');
    const kept = await acquire('device-b');
    expect([kept.status, kept.body['leaseId']]).toEqual([200, second.body['leaseId']]);
    await eventually(async () =>
      (await call(lts!.url, 'GET', '/health/ready')).status === 200 ? true : undefined,
    );
  });
});
