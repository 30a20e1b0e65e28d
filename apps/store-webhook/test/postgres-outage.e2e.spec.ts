import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { topics } from '@otl/contracts';
import {
  TopicRecorder,
  eventually,
  freePort,
  startOwnPostgres,
  startService,
  storeOrder,
  testKafka,
  type OwnPostgres,
  type RunningService,
} from '@otl/testing';
import { deliver, newOrderId, newSecret, purchaseEvents, serviceEnv } from './support';

describe('store-webhook while PostgreSQL is down', () => {
  const secret = newSecret();
  const dataDir = mkdtempSync(join(tmpdir(), 'otl-pg-outage-'));
  let port: number;
  let postgres: OwnPostgres;
  let service: RunningService;
  let recorder: TopicRecorder;

  beforeAll(async () => {
    port = await freePort();
    postgres = await startOwnPostgres(port, dataDir);
    const admin = new Client({ connectionString: postgres.adminUrl });
    await admin.connect();
    await admin.query('CREATE DATABASE store_webhook');
    await admin.end();
    const databaseUrl = postgres.adminUrl.replace(/\/postgres$/, '/store_webhook');
    recorder = await new TopicRecorder(testKafka('outage-e2e'), [topics.purchases]).start();
    service = await startService(
      'store-webhook',
      serviceEnv(databaseUrl, [secret], { RETRY_AFTER_SECONDS: '7' }),
    );
  });

  afterAll(async () => {
    await service?.stop();
    await recorder?.stop();
    await postgres?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 with retry-after, never 2xx, and recovers without a restart', async () => {
    const before = await deliver(service.url, secret, storeOrder(newOrderId()));
    expect(before.status).toBe(202);

    await postgres.stop();
    const orderId = newOrderId();
    for (let attempt = 0; attempt < 3; attempt++) {
      const during = await deliver(service.url, secret, storeOrder(orderId));
      expect(during.status).toBe(503);
      expect(during.headers.get('retry-after')).toBe('7');
      expect(during.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      // The platform's problem filter answers it, as for every service.
      expect(during.body).toMatchObject({
        type: 'https://docs.order-to-license.dev/problems/service-unavailable',
        status: 503,
      });
      expect(JSON.stringify(during.body)).not.toMatch(/at .+\.js:\d+/); // no stack trace
    }
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(
      /^store_webhook_deliveries_total\{result="rejected",reason="storage-unavailable"[^}]*\} 3$/m,
    );
    const ready = await fetch(`${service.url}/health/ready`);
    expect(ready.status).toBe(503);

    postgres = await startOwnPostgres(port, dataDir);
    const after = await eventually(
      async () => {
        const answer = await deliver(service.url, secret, storeOrder(orderId));
        return answer.status === 202 ? answer : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'the webhook to accept again' },
    );
    const purchaseId = after.body.purchaseId as string;
    await recorder
      .waitFor(
        (records) =>
          purchaseEvents(records, purchaseId).length >= 1 &&
          purchaseEvents(records, before.body.purchaseId as string).length >= 1,
        'both purchases on Kafka',
      )
      .catch((error: Error) => {
        throw new Error(`${error.message}\n--- service output ---\n${service.output()}`);
      });
    // Publication is at-least-once: an event whose checkpoint was lost with the database
    // may go out twice, but always as the same event (same id), never as a new purchase.
    for (const id of [purchaseId, before.body.purchaseId as string]) {
      expect(new Set(purchaseEvents(recorder.records, id).map((event) => event.id)).size).toBe(1);
    }
    expect(service.process.exitCode).toBeNull();
  });
});
