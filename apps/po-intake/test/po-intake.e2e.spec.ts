import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { assertValidEvent, parseCloudEvent, topics, type PublicCloudEvent } from '@otl/contracts';
import {
  MailCatcher,
  TopicRecorder,
  eventually,
  expectServiceSurface,
  mailedLink,
  startPlatform,
  testKafka,
  type Platform,
  type StaffMember,
} from '@otl/testing';
import { BusinessCalendar } from '../src/business-days/business-calendar';
import { ExtraHolidays, PublicHolidays, combineHolidays } from '../src/business-days/holidays';
import { DOCUMENTS, call, newBuyer, newPoNumber, purchaseOrder, type Answer } from './support';

const PASSWORD = 'correct horse battery staple';
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('po-intake (running services, real Postgres, Kafka and SMTP catcher)', () => {
  const mail = new MailCatcher();
  let platform: Platform;
  let recorder: TopicRecorder;
  let rep: StaffMember;
  let manager: StaffMember;
  let otherManager: StaffMember;
  const tokens: Record<string, string> = {};
  let url: string;
  let db: Client;

  beforeAll(async () => {
    platform = await startPlatform({
      label: 'po_e2e',
      poIntake: {
        env: { PO_TIME_ZONE: 'America/New_York', PO_BUSINESS_DAY_END: '17:30', PO_HOLIDAYS: 'US,2026-12-24' },
      },
    });
    url = platform.poIntake!.url;
    recorder = await new TopicRecorder(testKafka('po-intake-e2e'), [
      topics.purchases,
      topics.licenses,
    ]).start();
    [rep, manager, otherManager] = await Promise.all([
      platform.staff('sales-rep'),
      platform.staff('sales-manager'),
      platform.staff('sales-manager'),
    ]);
    for (const member of [rep, manager, otherManager]) tokens[member.email] = await member.accessToken();
    db = new Client({ connectionString: platform.poIntakeDb!.url });
    await db.connect();
  }, 180_000);

  afterAll(async () => {
    await db?.end();
    await recorder?.stop();
    await platform?.stop();
  });

  const as = (member: StaffMember) => tokens[member.email]!;
  const submit = (member: StaffMember, body: unknown = purchaseOrder()) =>
    call(url, 'POST', '/v1/purchase-orders', as(member), body);
  const decide = (
    member: StaffMember,
    id: string,
    action: 'approval' | 'rejection' | 'refund',
    reason?: string,
  ) =>
    call(
      url,
      'POST',
      `/v1/purchase-orders/${id}/${action}`,
      as(member),
      reason === undefined ? undefined : { reason },
    );
  const eventsOf = (purchaseId: string, type: string): PublicCloudEvent[] =>
    recorder.records
      .filter((record) => record.key === purchaseId)
      .map((record) => parseCloudEvent(record.value))
      .filter((event) => event.type === type);
  const counts = async () => {
    const { rows } = await db.query<{ events: string; orders: string; documents: string; claims: string }>(
      `SELECT (SELECT count(*) FROM es_events)::text AS events, (SELECT count(*) FROM purchase_orders)::text AS orders,
              (SELECT count(*) FROM po_documents)::text AS documents, (SELECT count(*) FROM po_number_claims)::text AS claims`,
    );
    return rows[0];
  };

  it('serves health, metrics and its OpenAPI document', async () => {
    await expectServiceSurface(url, {
      paths: [
        '/v1/purchase-orders',
        '/v1/purchase-orders/{id}',
        '/v1/purchase-orders/{id}/document',
        '/v1/purchase-orders/{id}/approval',
        '/v1/purchase-orders/{id}/rejection',
        '/v1/purchase-orders/{id}/refund',
      ],
      metrics: [
        /^po_intake_undecided_purchase_orders\{[^}]*\} \d+$/m,
        /^po_intake_overdue_purchase_orders\{[^}]*\} \d+$/m,
        /^# TYPE po_intake_submissions_total counter$/m,
        /^# TYPE po_intake_decisions_total counter$/m,
      ],
      checks: { database: 'up', kafka: 'up' },
    });
  });

  it("takes a PO from receipt to the buyer's licence items: submit (rep), approve (another manager)", async () => {
    const buyer = newBuyer();
    const body = purchaseOrder({ email: buyer });
    const received = await submit(rep, body);
    expect(received.status).toBe(201);
    const id = received.body.purchaseOrderId as string;
    expect(received.body).toEqual({
      purchaseOrderId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: 'received',
      receivedAt: expect.any(String),
      dueBy: expect.any(String),
    });
    expect(received.headers.get('location')).toBe(`/v1/purchase-orders/${id}`);
    // Due by the end of the next business day in the desk's calendar (New York, 17:30, US holidays).
    const calendar = new BusinessCalendar({
      timeZone: 'America/New_York',
      dayEnd: { hour: 17, minute: 30 },
      holidays: combineHolidays(new PublicHolidays('US'), new ExtraHolidays(['2026-12-24'])),
    });
    expect(received.body.dueBy).toBe(
      calendar.dueBy(new Date(received.body.receivedAt as string)).toISOString(),
    );
    expect(
      new Date(received.body.dueBy as string).toLocaleTimeString('en-US', { timeZone: 'America/New_York' }),
    ).toBe('5:30:00 PM');

    const approved = await decide(manager, id, 'approval');
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', purchaseId: id, poNumber: body.poNumber });
    expect(
      (approved.body.history as { action: string; by: { email: string } }[]).map((e) => [
        e.action,
        e.by.email,
      ]),
    ).toEqual([
      ['submitted', rep.email],
      ['approved', manager.email],
    ]);

    const [recorded] = await recorder
      .waitFor(() => eventsOf(id, 'purchase.recorded.v1').length > 0, 'purchase.recorded.v1')
      .then(() => eventsOf(id, 'purchase.recorded.v1'));
    assertValidEvent(recorded!);
    expect(recorded!.source).toBe('/po-intake');
    expect(recorded!.data).toMatchObject({
      purchaseId: id,
      channel: 'purchase-order',
      externalRef: body.poNumber,
      resellerId: null,
      customer: body.customer,
      currency: 'EUR',
      total: '3397.00',
    });

    // Approving again is a no-op: 200, the same order, nothing more on the topic.
    const again = await decide(manager, id, 'approval');
    expect([again.status, again.body.status]).toEqual([200, 'approved']);
    expect((again.body.history as unknown[]).length).toBe(2);
    // Rejecting it now is a conflict.
    const late = await decide(otherManager, id, 'rejection', 'too late');
    expect(late.status).toBe(409);
    expect(late.body.type).toMatch(/already-decided$/);

    // The buyer gets an account (set-password mail) and the items, like any store buyer.
    const [mailed] = await mail.waitFor(buyer, 1, 60_000);
    const { token } = mailedLink(mailed!, '/set-password');
    expect(
      (
        await call(platform.account.url, 'POST', '/v1/auth/password-reset/confirm', undefined, {
          token,
          password: PASSWORD,
        })
      ).status,
    ).toBe(204);
    const signIn = await call(platform.account.url, 'POST', '/v1/auth/token', undefined, {
      email: buyer,
      password: PASSWORD,
    });
    const buyerToken = signIn.body.accessToken as string;
    const items = await eventually(
      async () => {
        const answer = await call(platform.license.url, 'GET', '/v1/license-items', buyerToken);
        const mine = (answer.body as unknown as { purchaseId: string; sku: string; status: string }[]).filter(
          (item) => item.purchaseId === id,
        );
        return mine.length === 2 ? mine : undefined;
      },
      { what: "the buyer's items", timeoutMs: 40_000 },
    );
    expect(items.map((item) => [item.sku, item.status]).sort()).toEqual([
      ['BARCODE-JS-DEVICE-1Y', 'available'],
      ['WEBTWAIN-PRO-DOMAIN-1Y', 'available'],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(eventsOf(id, 'purchase.recorded.v1')).toHaveLength(1);
  }, 120_000);

  it('rejects with a reason; then approval is 409; rejecting again is a no-op; no reason is 400', async () => {
    const id = (await submit(rep)).body.purchaseOrderId as string;
    const noReason = await call(url, 'POST', `/v1/purchase-orders/${id}/rejection`, as(manager), {});
    expect(noReason.status).toBe(400);
    expect(noReason.body.errors).toEqual([expect.objectContaining({ field: 'reason' })]);
    const rejected = await decide(manager, id, 'rejection', 'The PO is not signed.');
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({
      status: 'rejected',
      rejectionReason: 'The PO is not signed.',
      purchaseId: null,
    });
    expect((await decide(manager, id, 'rejection', 'still not signed')).status).toBe(200);
    const approve = await decide(otherManager, id, 'approval');
    expect(approve.status).toBe(409);
    expect(approve.body).toMatchObject({
      type: expect.stringMatching(/already-decided$/),
      currentStatus: 'rejected',
    });
    const refund = await decide(manager, id, 'refund', 'nothing to refund');
    expect(refund.status).toBe(409);
    expect(refund.body.type).toMatch(/not-approved$/);
    const shown = await call(url, 'GET', `/v1/purchase-orders/${id}`, as(rep));
    expect(
      (shown.body.history as { action: string; reason: string | null }[]).map((e) => [e.action, e.reason]),
    ).toEqual([
      ['submitted', null],
      ['rejected', 'The PO is not signed.'],
    ]);
    expect(eventsOf(id, 'purchase.recorded.v1')).toHaveLength(0);
  });

  it('enforces the roles and four eyes: 401 without a token, 403 for a customer, a rep, or the submitter', async () => {
    const byManager = (await submit(manager)).body.purchaseOrderId as string;
    const own = await decide(manager, byManager, 'approval');
    expect(own.status).toBe(403);
    expect(own.body).toMatchObject({
      type: expect.stringMatching(/own-submission$/),
      detail: expect.stringMatching(/another sales manager/),
    });
    expect((await decide(manager, byManager, 'rejection', 'mine')).status).toBe(403);
    const byRep = await decide(rep, byManager, 'approval');
    expect(byRep.status).toBe(403);
    expect(byRep.body.type).toMatch(/forbidden$/);
    expect(byRep.body.detail).toMatch(/sales-manager/);
    for (const action of ['rejection', 'refund'] as const) {
      expect([action, (await decide(rep, byManager, action, 'a rep tries')).status]).toEqual([action, 403]);
    }

    const none = await call(url, 'POST', `/v1/purchase-orders/${byManager}/approval`);
    expect(none.status).toBe(401);
    expect((await call(url, 'GET', '/v1/purchase-orders')).status).toBe(401);

    const customerEmail = newBuyer();
    expect(
      (
        await call(platform.account.url, 'POST', '/v1/accounts', undefined, {
          email: customerEmail,
          password: PASSWORD,
          name: 'Cu Stomer',
        })
      ).status,
    ).toBe(202);
    const [verification] = await mail.waitFor(customerEmail);
    const { token } = mailedLink(verification!, '/verify-email');
    expect(
      (await call(platform.account.url, 'POST', '/v1/accounts/verification', undefined, { token })).status,
    ).toBe(204);
    const customer = (
      await call(platform.account.url, 'POST', '/v1/auth/token', undefined, {
        email: customerEmail,
        password: PASSWORD,
      })
    ).body.accessToken as string;
    for (const [method, path, body] of [
      ['GET', '/v1/purchase-orders', undefined],
      ['GET', `/v1/purchase-orders/${byManager}`, undefined],
      ['GET', `/v1/purchase-orders/${byManager}/document`, undefined],
      ['POST', '/v1/purchase-orders', purchaseOrder()],
      ['POST', `/v1/purchase-orders/${byManager}/approval`, undefined],
      ['POST', `/v1/purchase-orders/${byManager}/rejection`, { reason: 'a customer tries' }],
      ['POST', `/v1/purchase-orders/${byManager}/refund`, { reason: 'a customer tries' }],
    ] as const) {
      expect([method, path, (await call(url, method, path, customer, body)).status]).toEqual([
        method,
        path,
        403,
      ]);
    }
    // Another manager may decide it.
    expect((await decide(otherManager, byManager, 'approval')).status).toBe(200);
  }, 60_000);

  it.each([
    ['a PDF', 'application/pdf', DOCUMENTS.pdf, 'order.pdf'],
    ['a PNG', 'image/png', DOCUMENTS.png, 'scan.png'],
    ['a JPEG', 'image/jpeg', DOCUMENTS.jpeg, 'Bestellung Müller.jpg'],
  ])(
    'returns %s byte for byte, as an attachment that is never sniffed',
    async (_name, contentType, content, filename) => {
      const received = await submit(rep, purchaseOrder({ document: { contentType, content, filename } }));
      expect(received.status).toBe(201);
      const id = received.body.purchaseOrderId as string;
      const response = await fetch(`${url}/v1/purchase-orders/${id}/document`, {
        headers: { authorization: `Bearer ${as(manager)}` },
      });
      expect(response.status).toBe(200);
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(sha256(bytes)).toBe(sha256(content));
      expect(response.headers.get('content-type')).toBe(contentType);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('content-disposition')).toMatch(
        /^attachment; filename="[^"]+"; filename\*=UTF-8''/,
      );
      expect(response.headers.get('content-disposition')).toContain(encodeURIComponent(filename));
      expect(response.headers.get('etag')).toBe(`"${sha256(content)}"`);
      const shown = await call(url, 'GET', `/v1/purchase-orders/${id}`, as(rep));
      expect(shown.body.document).toEqual({
        filename,
        contentType,
        size: content.length,
        sha256: sha256(content),
      });
    },
  );

  it.each([
    [
      'a PNG labelled as PDF',
      { contentType: 'application/pdf', content: DOCUMENTS.png },
      415,
      /document-type-mismatch$/,
    ],
    [
      'a JPEG labelled as PNG',
      { contentType: 'image/png', content: DOCUMENTS.jpeg },
      415,
      /document-type-mismatch$/,
    ],
    ['bad base64', { contentBase64: 'JVBERi0x!!!' }, 400, /validation-failed$/],
    ['base64 of the wrong length', { contentBase64: 'JVBERi0xL' }, 400, /validation-failed$/],
    ['an empty file', { contentBase64: '' }, 400, /validation-failed$/],
    [
      '10 MiB + 1 byte',
      { content: Buffer.concat([DOCUMENTS.pdf, Buffer.alloc(10 * 1024 * 1024 + 1 - DOCUMENTS.pdf.length)]) },
      413,
      /document-too-large$/,
    ],
    [
      '11 MiB',
      { content: Buffer.concat([DOCUMENTS.pdf, Buffer.alloc(11 * 1024 * 1024 - DOCUMENTS.pdf.length)]) },
      413,
      /document-too-large$/,
    ],
    [
      '11 MiB as base64 with MIME line breaks',
      {
        contentBase64: Buffer.concat([DOCUMENTS.pdf, Buffer.alloc(11 * 1024 * 1024 - DOCUMENTS.pdf.length)])
          .toString('base64')
          .replace(/(.{76})/g, '$1\r\n'),
      },
      413,
      /document-too-large$/,
    ],
    [
      'an unknown type',
      { contentType: 'image/gif', content: Buffer.from('GIF89a') },
      400,
      /validation-failed$/,
    ],
    ['a file name with a path', { filename: '../../etc/passwd' }, 400, /validation-failed$/],
  ])('refuses %s and stores nothing', async (_name, document, status, type) => {
    const before = await counts();
    const answer = await submit(rep, purchaseOrder({ document }));
    expect(answer.status).toBe(status);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.body.type).toMatch(type);
    expect(await counts()).toEqual(before);
  });

  it('refuses a total that is not the sum of the lines, naming it', async () => {
    const before = await counts();
    const answer = await submit(rep, { ...purchaseOrder(), total: '3000.00' });
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([{ field: 'total', message: expect.stringContaining('3397.00') }]);
    expect(await counts()).toEqual(before);
  });

  it('answers a duplicate poNumber 409 naming the order; accepts a corrected PO after a rejection', async () => {
    const poNumber = newPoNumber();
    const email = newBuyer();
    const first = await submit(rep, purchaseOrder({ poNumber, email }));
    const firstId = first.body.purchaseOrderId as string;
    const duplicate = await submit(manager, purchaseOrder({ poNumber, email: email.toUpperCase() }));
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({
      type: expect.stringMatching(/po-number-taken$/),
      existingPurchaseOrderId: firstId,
      detail: expect.stringContaining(firstId),
    });
    expect(duplicate.headers.get('location')).toBe(`/v1/purchase-orders/${firstId}`);
    // Another customer's PO may carry the same number.
    expect((await submit(rep, purchaseOrder({ poNumber }))).status).toBe(201);

    expect((await decide(manager, firstId, 'rejection', 'quantity is wrong')).status).toBe(200);
    const corrected = await submit(rep, purchaseOrder({ poNumber, email }));
    expect(corrected.status).toBe(201);
    const correctedId = corrected.body.purchaseOrderId as string;
    const shown = await call(url, 'GET', `/v1/purchase-orders/${correctedId}`, as(rep));
    expect(shown.body).toMatchObject({ status: 'received', resubmissionOf: firstId });
    const again = await submit(rep, purchaseOrder({ poNumber, email }));
    expect([again.status, again.body.existingPurchaseOrderId]).toEqual([409, correctedId]);
  });

  it('makes one PO of 20 concurrent submissions of one poNumber', async () => {
    const body = purchaseOrder();
    const before = await counts();
    const answers: Answer[] = await Promise.all(Array.from({ length: 20 }, () => submit(rep, body)));
    const created = answers.filter((answer) => answer.status === 201);
    expect(created).toHaveLength(1);
    const id = created[0]!.body.purchaseOrderId;
    const conflicts = answers.filter((answer) => answer.status === 409);
    expect(conflicts).toHaveLength(19);
    expect(new Set(conflicts.map((answer) => answer.body.existingPurchaseOrderId))).toEqual(new Set([id]));
    const after = await counts();
    expect(Number(after!.orders) - Number(before!.orders)).toBe(1);
    expect(Number(after!.documents) - Number(before!.documents)).toBe(1);
  });

  it('refunds an approved PO: purchase.refunded.v1, and the licence generated from it is revoked', async () => {
    const buyer = newBuyer();
    const id = (await submit(rep, purchaseOrder({ email: buyer }))).body.purchaseOrderId as string;
    expect((await decide(otherManager, id, 'approval')).status).toBe(200);
    const [mailed] = await mail.waitFor(buyer, 1, 60_000);
    const { token } = mailedLink(mailed!, '/set-password');
    await call(platform.account.url, 'POST', '/v1/auth/password-reset/confirm', undefined, {
      token,
      password: PASSWORD,
    });
    const buyerToken = (
      await call(platform.account.url, 'POST', '/v1/auth/token', undefined, {
        email: buyer,
        password: PASSWORD,
      })
    ).body.accessToken as string;
    const itemIds = await eventually(
      async () => {
        const answer = await call(platform.license.url, 'GET', '/v1/license-items', buyerToken);
        const mine = (answer.body as unknown as { itemId: string; purchaseId: string }[]).filter(
          (item) => item.purchaseId === id,
        );
        return mine.length === 2 ? mine.map((item) => item.itemId) : undefined;
      },
      { what: "the buyer's items", timeoutMs: 40_000 },
    );
    const generated = await call(platform.license.url, 'POST', '/v1/licenses', buyerToken, { itemIds });
    expect(generated.status).toBe(201);
    const licenseId = generated.body.licenseId as string;

    const refunded = await decide(otherManager, id, 'refund', 'Order cancelled by the buyer');
    expect(refunded.status).toBe(200);
    expect(refunded.body).toMatchObject({ status: 'refunded', refundReason: 'Order cancelled by the buyer' });
    expect((await decide(otherManager, id, 'refund', 'again')).status).toBe(200);
    await recorder.waitFor(() => eventsOf(id, 'purchase.refunded.v1').length > 0, 'purchase.refunded.v1');
    expect(eventsOf(id, 'purchase.refunded.v1')[0]!.data).toMatchObject({
      purchaseId: id,
      channel: 'purchase-order',
      reason: 'Order cancelled by the buyer',
    });
    const revoked = await eventually(
      async () => {
        const answer = await call(platform.license.url, 'GET', `/v1/licenses/${licenseId}`, buyerToken);
        return answer.body.status === 'revoked' ? answer.body : undefined;
      },
      { what: 'the licence to be revoked', timeoutMs: 40_000 },
    );
    expect(revoked.status).toBe('revoked');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(eventsOf(id, 'purchase.refunded.v1')).toHaveLength(1);
  }, 120_000);

  it('lists the queue by dueBy with filters and paging, refusing bad parameters', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await submit(rep)).body.purchaseOrderId as string);
    const seen: string[] = [];
    let cursor: string | null = null;
    let previousDue = '';
    do {
      const page: Answer = await call(
        url,
        'GET',
        `/v1/purchase-orders?status=received&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        as(rep),
      );
      expect(page.status).toBe(200);
      for (const entry of page.body.purchaseOrders as {
        purchaseOrderId: string;
        dueBy: string;
        status: string;
        overdue: boolean;
      }[]) {
        expect(entry.status).toBe('received');
        expect(entry.overdue).toBe(false);
        expect(entry.dueBy >= previousDue).toBe(true);
        previousDue = entry.dueBy;
        seen.push(entry.purchaseOrderId);
      }
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    expect(seen).toEqual(expect.arrayContaining(ids));
    expect(new Set(seen).size).toBe(seen.length);
    const overdue = await call(url, 'GET', '/v1/purchase-orders?overdue=true', as(manager));
    expect(overdue.body).toEqual({ purchaseOrders: [], nextCursor: null });
    for (const query of [
      'status=open',
      'overdue=yes',
      'limit=0',
      'limit=201',
      'cursor=%21',
      'cursor=bm9wZQ',
      'sort=dueBy',
    ]) {
      const bad = await call(url, 'GET', `/v1/purchase-orders?${query}`, as(rep));
      expect([query, bad.status]).toEqual([query, 400]);
    }
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const undecided = Number(/^po_intake_undecided_purchase_orders\{[^}]*\} (\d+)$/m.exec(metrics)?.[1]);
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM purchase_orders WHERE status = 'received'`,
    );
    expect(undecided).toBe(rows[0]!.n);
    expect(metrics).toMatch(/^po_intake_overdue_purchase_orders\{[^}]*\} 0$/m);
  });

  it("accepts the OpenAPI document's example bodies as they are (an integrator pastes them)", async () => {
    const document = (await (await fetch(`${url}/docs-json`)).json()) as {
      paths: Record<
        string,
        Record<
          string,
          { requestBody?: { content: Record<string, { examples?: Record<string, { value: unknown }> }> } }
        >
      >;
    };
    const example = (path: string) =>
      Object.values(document.paths[path]!.post!.requestBody!.content['application/json']!.examples!)[0]!
        .value;
    const received = await submit(rep, example('/v1/purchase-orders'));
    expect(received.status).toBe(201);
    const id = received.body.purchaseOrderId as string;
    const rejected = await call(
      url,
      'POST',
      `/v1/purchase-orders/${id}/rejection`,
      as(manager),
      example('/v1/purchase-orders/{id}/rejection'),
    );
    expect(rejected.status).toBe(200);
  });

  it('refuses to start with a calendar it cannot use, naming the variable', async () => {
    const started = spawnSync(
      process.execPath,
      ['-r', './tools/runtime/register-aliases.cjs', 'dist/out-tsc/apps/po-intake/src/main.js'],
      {
        cwd: resolve(__dirname, '..', '..', '..'),
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH ?? '',
          DATABASE_URL: platform.poIntakeDb!.url,
          PO_TIME_ZONE: 'Mars/Olympus',
          PO_HOLIDAYS: 'XX',
        },
        timeout: 20_000,
      },
    );
    expect(started.status).toBe(78);
    expect(started.stderr).toMatch(/PO_TIME_ZONE must be an IANA time zone name/);
    expect(started.stderr).toMatch(/PO_HOLIDAYS/);
  });

  it('answers an unknown or malformed id 404, and approval with a body 400', async () => {
    for (const path of [
      '/v1/purchase-orders/00000000-0000-4000-8000-000000000000',
      '/v1/purchase-orders/nope',
      '/v1/purchase-orders/00000000-0000-4000-8000-000000000000/document',
    ]) {
      expect([path, (await call(url, 'GET', path, as(rep))).status]).toEqual([path, 404]);
    }
    expect((await decide(manager, '00000000-0000-4000-8000-000000000000', 'approval')).status).toBe(404);
    const id = (await submit(rep)).body.purchaseOrderId as string;
    const withBody = await call(url, 'POST', `/v1/purchase-orders/${id}/approval`, as(manager), {
      approved: true,
    });
    expect(withBody.status).toBe(400);
    expect((await call(url, 'POST', `/v1/purchase-orders/${id}/approval`, as(manager), {})).status).toBe(200);
  });
});
