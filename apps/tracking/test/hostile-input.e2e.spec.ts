import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import {
  casesForBodyLimit,
  countsAround,
  createTestDatabase,
  describeHostileInput,
  requireEnv,
  startService,
  uniqueName,
  type HostileTarget,
  type RunningService,
  type TestDatabase,
} from '@otl/testing';
import { feedLicense, licenseProducer } from './hosted-support';
import {
  YEAR_MS,
  call,
  payloadFor,
  seats,
  sign,
  sqliteCounter,
  startSelfHosted,
  tempDir,
  vendorKey,
  type VendorKey,
} from './self-hosted-support';

const PRODUCT = 'barcode-reader-js';
/** Enough for a lease per good acquisition and per replaced lease, across the whole corpus. */
const SEATS = 500;
// Out of the way: every good request after a case is a lease call from one address, and no sweep
// (which may record an hour's level or delete old rows) runs while the cases are counted.
const QUIET = { LTS_RATE_LIMIT_PER_MINUTE: '100000', LTS_SWEEP_SECONDS: '3600' };

/**
 * The lease API's three write endpoints, the same in both modes, on a licence key with `SEATS` seats of
 * `PRODUCT`. The heartbeat and release targets aim at live leases, so a hostile request that got
 * through would act on one; neither endpoint takes a body, so every body is one it must refuse.
 * `start()` (in beforeAll) acquires those leases.
 */
function leaseTargets(url: () => string, key: () => string) {
  let clients = 0;
  let beating = '';
  let releasing = '';
  const acquire = (label: string) =>
    call(url(), 'POST', '/v1/lts/leases', {
      licenseKey: key(),
      clientId: `${label}-${++clients}`,
      product: PRODUCT,
    });
  const granted = async (label: string): Promise<string> => {
    const answer = await acquire(label);
    expect([answer.status, answer.body.product]).toEqual([201, PRODUCT]);
    return String(answer.body.leaseId);
  };
  const heartbeat = async (leaseId: string) => {
    const answer = await call(url(), 'POST', `/v1/lts/leases/${leaseId}/heartbeat`);
    expect([answer.status, answer.body.leaseId]).toEqual([200, leaseId]);
  };
  const targets: HostileTarget[] = [
    {
      name: 'POST /v1/lts/leases',
      path: '/v1/lts/leases',
      valid: () => ({ licenseKey: key(), clientId: `hostile-${++clients}`, product: PRODUCT }),
      field: 'clientId',
      textField: 'clientId',
      good: async () => void (await granted('good')),
    },
    {
      name: 'POST /v1/lts/leases/{id}/heartbeat',
      get path() {
        return `/v1/lts/leases/${beating}/heartbeat`;
      },
      valid: () => ({ leaseId: beating }),
      field: 'leaseId',
      textField: 'leaseId',
      good: () => heartbeat(beating),
    },
    {
      name: 'DELETE /v1/lts/leases/{id}',
      method: 'DELETE',
      get path() {
        return `/v1/lts/leases/${releasing}`;
      },
      valid: () => ({ leaseId: releasing }),
      field: 'leaseId',
      textField: 'leaseId',
      // The refused release left the lease live; one without a body frees it, and the next case
      // aims at a new lease.
      good: async () => {
        await heartbeat(releasing);
        expect((await call(url(), 'DELETE', `/v1/lts/leases/${releasing}`)).status).toBe(204);
        releasing = await granted('releasing');
      },
    },
  ];
  return {
    targets,
    async start() {
      beating = await granted('beating');
      releasing = await granted('releasing');
    },
  };
}

describe('tracking, vendor-hosted, under hostile input (running service, real Postgres and Kafka)', () => {
  let db: TestDatabase;
  let lts: RunningService;
  let producer: Producer;
  let key: string;
  const leases = leaseTargets(
    () => lts.url,
    () => key,
  );

  beforeAll(async () => {
    db = await createTestDatabase('tracking_hostile');
    lts = await startService('tracking', {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      TRACKING_CONSUMER_GROUP: uniqueName('tracking-hostile'),
      ...QUIET,
    });
    producer = await licenseProducer('tracking-hostile');
    ({ key } = await feedLicense(
      producer,
      (licenseKey) => call(lts.url, 'GET', `/v1/lts/licenses/${licenseKey}/usage`),
      { seats: { [PRODUCT]: SEATS } },
    ));
    await leases.start();
  }, 60_000);

  afterAll(async () => {
    await producer?.disconnect();
    await lts?.stop();
    await db?.drop();
  });

  describeHostileInput({
    url: () => lts.url,
    // rate_limit_windows counts every lease request that reaches the limiter, refused or not.
    storage: (during) => countsAround(db.url, during, { ignoreTables: ['rate_limit_windows'] }),
    targets: leases.targets,
  });

  it('never answered 5xx and logged no unhandled error', () => {
    expect(lts.output()).not.toMatch(/unhandled error|"level":50/);
  });
});

describe('tracking, self-hosted, under hostile input (running server, its own SQLite file)', () => {
  const dir = tempDir('lts-hostile');
  const dataDir = join(dir, 'data');
  let vendor: VendorKey;
  let lts: RunningService;
  let instanceId: string;
  let key: string;
  const leases = leaseTargets(
    () => lts.url,
    () => key,
  );
  /** A new licence for this server, as the vendor would sign it. */
  const newPayload = () =>
    payloadFor(instanceId, [seats(PRODUCT, SEATS, new Date(Date.now() + YEAR_MS).toISOString())]);
  const licenseFile = () => sign(newPayload(), vendor);

  beforeAll(async () => {
    vendor = vendorKey(dir);
    lts = await startSelfHosted(dataDir, vendor.keysFile, QUIET);
    instanceId = String((await call(lts.url, 'GET', '/v1/lts/instance')).body.ltsInstanceId);
    const payload = newPayload();
    const loaded = await call(lts.url, 'POST', '/v1/lts/license-files', sign(payload, vendor));
    expect([loaded.status, loaded.body.outcome]).toEqual([201, 'loaded']);
    key = payload.licenseKey;
    await leases.start();
  });

  afterAll(async () => {
    await lts?.stop();
  });

  describeHostileInput({
    url: () => lts.url,
    storage: sqliteCounter(dataDir),
    // The self-hosted server takes bodies up to 64 KiB: the corpus' larger ones are 413s there.
    cases: casesForBodyLimit(64 * 1024),
    targets: [
      ...leases.targets,
      {
        name: 'POST /v1/lts/license-files',
        path: '/v1/lts/license-files',
        // A genuine file of a licence not loaded yet: one let through would add a licence.
        valid: () => ({ ...licenseFile() }),
        field: 'payload',
        textField: 'kid',
        good: async () => {
          const answer = await call(lts.url, 'POST', '/v1/lts/license-files', licenseFile());
          expect([answer.status, answer.body.outcome]).toEqual([201, 'loaded']);
        },
      },
    ],
  });

  it('never answered 5xx and logged no unhandled error', () => {
    expect(lts.output()).not.toMatch(/unhandled error|"level":50/);
  });
});
