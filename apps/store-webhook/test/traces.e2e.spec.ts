import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import {
  createTestDatabase,
  eventually,
  freePort,
  newSigningKey,
  OtlpReceiver,
  requireEnv,
  signStoreWebhook,
  SPAN_KIND,
  startService,
  storeOrder,
  uniqueName,
  type ReceivedSpan,
  type RunningService,
  type TestDatabase,
} from '@otl/testing';

// One purchase through the store webhook, traced end to end: the request's span, its event's trace
// metadata, the `traceparent` header on Kafka, and the spans of account and license consuming it,
// all exported over OTLP/HTTP to a receiver of the spec's own.
describe('traces across store-webhook, account and license', () => {
  let receiver: OtlpReceiver;
  const dbs: TestDatabase[] = [];
  const services: RunningService[] = [];
  let storeUrl: string;
  let untracedStoreUrl: string;
  const secret = `whsec_${randomBytes(24).toString('base64')}`;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    const [storeDb, untracedDb, accountDb, licenseDb] = await Promise.all(
      ['traces_store', 'traces_untraced', 'traces_account', 'traces_license'].map((name) =>
        createTestDatabase(name),
      ),
    );
    dbs.push(storeDb!, untracedDb!, accountDb!, licenseDb!);
    const brokers = requireEnv('KAFKA_BROKERS');
    const tracing = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100' };
    const [store, untraced, account] = await Promise.all([
      startService('store-webhook', {
        ...tracing,
        DATABASE_URL: storeDb!.url,
        KAFKA_BROKERS: brokers,
        STORE_WEBHOOK_SECRET: secret,
      }),
      // The same service with no collector configured: tracing is off.
      startService('store-webhook', {
        DATABASE_URL: untracedDb!.url,
        KAFKA_BROKERS: brokers,
        STORE_WEBHOOK_SECRET: secret,
      }),
      startService('account', {
        ...tracing,
        DATABASE_URL: accountDb!.url,
        KAFKA_BROKERS: brokers,
        SMTP_URL: requireEnv('SMTP_URL'),
        ACCESS_TOKEN_SIGNING_KEY: newSigningKey(),
        PURCHASES_CONSUMER_GROUP: uniqueName('traces-account'),
      }),
    ]);
    services.push(store, untraced, account);
    const license = await startService('license', {
      ...tracing,
      DATABASE_URL: licenseDb!.url,
      KAFKA_BROKERS: brokers,
      LICENSE_SIGNING_KEY: newSigningKey(),
      ACCESS_TOKEN_JWKS_URL: `${account.url}/.well-known/jwks.json`,
      LICENSE_CONSUMER_GROUP: uniqueName('traces-license'),
      VENDOR_TRACKING_URL: `http://127.0.0.1:${await freePort()}`,
    });
    services.push(license);
    storeUrl = store.url;
    untracedStoreUrl = untraced.url;
  });

  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop()));
    await receiver?.stop();
    await Promise.all(dbs.map((db) => db.drop()));
  });

  async function order(url: string, traceparent: string): Promise<string> {
    const body = JSON.stringify(
      storeOrder(`ST-${randomUUID().slice(0, 13)}`, {
        customer: { email: `traced-${randomUUID()}@example.com`, name: 'Tracy Trace', company: null },
      }),
    );
    const response = await fetch(`${url}/v1/webhooks/store`, {
      method: 'POST',
      headers: { ...signStoreWebhook(secret, body), traceparent },
      body,
    });
    expect(response.status).toBe(202);
    return ((await response.json()) as { purchaseId: string }).purchaseId;
  }

  async function eventMetadata(db: TestDatabase, type: string): Promise<Record<string, unknown>[]> {
    const rows = await queryRows<{ metadata: Record<string, unknown> }>(
      db,
      'SELECT metadata FROM es_events WHERE type = $1',
      [type],
    );
    return rows.map((row) => row.metadata);
  }

  const one = (spans: ReceivedSpan[], what: Partial<ReceivedSpan>): ReceivedSpan => {
    const found = spans.filter((span) =>
      Object.entries(what).every(([key, value]) => span[key as keyof ReceivedSpan] === value),
    );
    if (found.length !== 1) {
      const seen = spans.map((span) => `${span.service}: ${span.name}`).join(', ');
      throw new Error(`expected one span ${JSON.stringify(what)}, found ${found.length} among ${seen}`);
    }
    return found[0]!;
  };

  it('follows one purchase from the webhook request through Kafka into account and license', async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    await order(storeUrl, `00-${traceId}-${callerSpanId}-01`);

    // Everything that purchase caused, once license has itemised it (after the account's assignment).
    const spans = await eventually(
      () => {
        const trace = receiver.trace(traceId);
        const licensed = trace.some(
          (span) => span.service === 'license' && span.name === 'process accounts.v1',
        );
        return licensed ? trace : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 200, what: 'the trace to reach license' },
    );
    expect(receiver.errors).toEqual([]);
    expect(new Set(spans.map((span) => span.service))).toEqual(
      new Set(['store-webhook', 'account', 'license']),
    );

    const request = one(spans, { service: 'store-webhook', kind: SPAN_KIND.server });
    expect(request).toMatchObject({
      name: 'POST /v1/webhooks/store',
      parentSpanId: callerSpanId,
      attributes: expect.objectContaining({ 'http.response.status_code': 202 }),
    });
    const published = one(spans, { service: 'store-webhook', name: 'send purchases.v1' });
    expect(published).toMatchObject({ kind: SPAN_KIND.producer, parentSpanId: request.spanId });

    const assigning = one(spans, { service: 'account', name: 'process purchases.v1' });
    expect(assigning).toMatchObject({
      kind: SPAN_KIND.consumer,
      parentSpanId: published.spanId,
      attributes: expect.objectContaining({ 'cloudevents.event_type': 'purchase.recorded.v1' }),
    });
    // A new buyer: account.created.v1 and purchase.assigned.v1, both published from that record.
    const fromAccount = spans.filter(
      (span) => span.service === 'account' && span.kind === SPAN_KIND.producer,
    );
    expect(fromAccount.map((span) => [span.name, span.parentSpanId])).toEqual([
      ['send accounts.v1', assigning.spanId],
      ['send accounts.v1', assigning.spanId],
    ]);

    // license itemises on the assignment, continuing from account's publish.
    const itemising = one(spans, { service: 'license', name: 'process accounts.v1' });
    expect(itemising.kind).toBe(SPAN_KIND.consumer);
    expect(fromAccount.map((span) => span.spanId)).toContain(itemising.parentSpanId);
    expect(itemising.attributes['cloudevents.event_type']).toBe('purchase.assigned.v1');

    // One connected tree: every span's parent is in the trace, but the caller's.
    const ids = new Set(spans.map((span) => span.spanId));
    for (const span of spans) {
      if (span !== request)
        expect({ span: span.name, parentKnown: ids.has(span.parentSpanId) }).toEqual({
          span: span.name,
          parentKnown: true,
        });
    }
  });

  it('keeps the trace context in the metadata of the events, in the service that appended them', async () => {
    const traceId = randomBytes(16).toString('hex');
    const purchaseId = await order(storeUrl, `00-${traceId}-${randomBytes(8).toString('hex')}-01`);
    const recorded = await eventMetadata(dbs[0]!, 'purchase.recorded.v1');
    const mine = recorded.find((metadata) => metadata['subject'] === purchaseId);
    expect(mine?.['traceparent']).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    // license's events for it carry the same trace, continued from the Kafka record's header.
    const itemised = await eventually(
      async () => {
        const all = await eventMetadata(dbs[3]!, 'license.item-recorded');
        const traced = all.filter((metadata) => String(metadata['traceparent']).includes(traceId));
        return traced.length > 0 ? traced : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 200, what: "license's events of the purchase" },
    ).catch(async (error: unknown) => {
      const types = await queryRows<{ type: string }>(
        dbs[3]!,
        'SELECT DISTINCT type FROM es_events ORDER BY 1',
      );
      throw new Error(`${String(error)}; license event types: ${types.map((row) => row.type).join(', ')}`);
    });
    expect(itemised.length).toBeGreaterThan(0);
  });

  it('passes an unsampled trace on unsampled: its event names its own trace and nothing is exported', async () => {
    const traceId = randomBytes(16).toString('hex');
    const purchaseId = await order(storeUrl, `00-${traceId}-${randomBytes(8).toString('hex')}-00`);
    const recorded = await eventMetadata(dbs[0]!, 'purchase.recorded.v1');
    const mine = recorded.find((metadata) => metadata['subject'] === purchaseId);
    expect(mine?.['traceparent']).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
    // account and license see the flag on the record and do not sample either.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(receiver.trace(traceId)).toEqual([]);
  });

  it('exports the spans still buffered when the service is stopped', async () => {
    const db = await createTestDatabase('traces_flush');
    dbs.push(db);
    // Batches every minute: only the flush on SIGTERM can deliver within the spec.
    const lazy = await startService('store-webhook', {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '60000',
      DATABASE_URL: db.url,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      STORE_WEBHOOK_SECRET: secret,
    });
    const traceId = randomBytes(16).toString('hex');
    try {
      await order(lazy.url, `00-${traceId}-${randomBytes(8).toString('hex')}-01`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      // (account, consuming the purchase, exports its own spans meanwhile.)
      expect(receiver.trace(traceId).filter((span) => span.service === 'store-webhook')).toEqual([]);
    } finally {
      // Nest ends by re-raising the SIGTERM once it has shut down (exit code null: by signal).
      await lazy.stop();
    }
    expect(receiver.trace(traceId).map((span) => span.name)).toContain('POST /v1/webhooks/store');
  });

  it('records and exports nothing when no collector is configured, and still takes the purchase', async () => {
    const traceId = randomBytes(16).toString('hex');
    const purchaseId = await order(untracedStoreUrl, `00-${traceId}-${randomBytes(8).toString('hex')}-01`);
    const recorded = await eventMetadata(dbs[1]!, 'purchase.recorded.v1');
    const mine = recorded.find((metadata) => metadata['subject'] === purchaseId);
    expect(mine).toBeDefined();
    expect(mine).not.toHaveProperty('traceparent');
    // The traced services export every 100 ms; give a stray span time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receiver.trace(traceId).filter((span) => span.service === 'store-webhook')).toEqual([]);
  });
});

async function queryRows<T>(db: TestDatabase, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}
