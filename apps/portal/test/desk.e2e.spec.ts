import { createHash, randomUUID } from 'node:crypto';
import {
  expectServiceSurface,
  MailCatcher,
  startPlatform,
  type Platform,
  type StaffMember,
} from '@otl/testing';
import { Browser, PASSWORD, setPasswordLink, solidPng, submitPurchaseOrder, tinyPdf } from './support';

const DESK = '/v1/desk/purchase-orders';
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * The sales desk through the portal against a running po-intake: the portal forwards each call with
 * the staff member's own token and passes po-intake's answers on; it refuses a customer itself.
 */
describe('portal sales desk (running po-intake, account, real Postgres and Kafka)', () => {
  const mail = new MailCatcher();
  let platform: Platform;
  let rep: StaffMember;
  let manager: StaffMember;
  let otherManager: StaffMember;

  beforeAll(async () => {
    platform = await startPlatform({ label: 'portal_desk_e2e', poIntake: true });
    [rep, manager, otherManager] = await Promise.all([
      platform.staff('sales-rep'),
      platform.staff('sales-manager'),
      platform.staff('sales-manager'),
    ]);
  });

  afterAll(async () => {
    await platform?.stop();
  });

  const poIntakeUrl = () => platform.poIntake!.url;

  async function signedIn(member: StaffMember): Promise<Browser> {
    const browser = new Browser(platform.portal.url);
    const answer = await browser.request('POST', '/v1/session', {
      email: member.email,
      password: member.password,
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ accountId: member.accountId, roles: [member.role] });
    return browser;
  }

  async function submitted(
    by: StaffMember,
    document = { filename: 'po.png', contentType: 'image/png', bytes: solidPng(40, 20, [20, 90, 160]) },
  ) {
    return submitPurchaseOrder(poIntakeUrl(), await by.accessToken(), document);
  }

  it('documents every sales desk route in its OpenAPI document', async () => {
    await expectServiceSurface(platform.portal.url, {
      paths: [
        DESK,
        `${DESK}/{id}`,
        `${DESK}/{id}/document`,
        `${DESK}/{id}/approval`,
        `${DESK}/{id}/rejection`,
        `${DESK}/{id}/refund`,
      ],
      metrics: [/portal_sign_ins_total/],
      checks: { database: 'up' },
    });
  });

  it('says the staff roles in the session; a customer has none and is refused by the portal itself', async () => {
    const browser = await signedIn(manager);
    expect((await browser.request('GET', '/v1/session')).body).toMatchObject({ roles: ['sales-manager'] });

    const email = `Customer.${randomUUID().slice(0, 8)}@example.com`;
    await platform.store.order(email, 'Desk Customer');
    const { token } = await setPasswordLink(mail, email);
    const customer = new Browser(platform.portal.url);
    await customer.request('POST', '/v1/password-reset/confirm', { token, password: PASSWORD });
    expect((await customer.request('POST', '/v1/session', { email, password: PASSWORD })).body).toMatchObject(
      {
        roles: [],
      },
    );
    for (const [method, path] of [
      ['GET', DESK],
      ['GET', `${DESK}/${randomUUID()}`],
      ['POST', `${DESK}/${randomUUID()}/approval`],
    ] as const) {
      const answer = await customer.request(method, path);
      expect({ path, status: answer.status, type: answer.body.type }).toEqual({
        path,
        status: 403,
        type: expect.stringMatching(/staff-only$/),
      });
    }
    expect((await new Browser(platform.portal.url).request('GET', DESK)).status).toBe(401);
  });

  it('lists the queue by dueBy with filters and paging, and shows a purchase order with its history', async () => {
    const first = await submitted(rep);
    const second = await submitted(rep);
    const browser = await signedIn(manager);
    const queue = await browser.request('GET', `${DESK}?status=received&limit=200`);
    expect(queue.status).toBe(200);
    const listed = (
      queue.body as unknown as {
        purchaseOrders: { purchaseOrderId: string; dueBy: string; overdue: boolean }[];
      }
    ).purchaseOrders;
    const mine = listed.filter((po) =>
      [first.purchaseOrderId, second.purchaseOrderId].includes(po.purchaseOrderId),
    );
    expect(mine).toHaveLength(2);
    expect(mine[0]).toMatchObject({ dueBy: first.dueBy, overdue: false });
    const dues = listed.map((po) => po.dueBy);
    expect([...dues].sort()).toEqual(dues);

    const page = await browser.request('GET', `${DESK}?limit=1`);
    const cursor = (page.body as unknown as { nextCursor: string | null }).nextCursor;
    expect(cursor).toEqual(expect.any(String));
    const next = await browser.request('GET', `${DESK}?limit=1&cursor=${encodeURIComponent(cursor!)}`);
    expect(next.status).toBe(200);

    const detail = await browser.request('GET', `${DESK}/${first.purchaseOrderId}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      purchaseOrderId: first.purchaseOrderId,
      poNumber: first.poNumber,
      status: 'received',
      submittedBy: { accountId: rep.accountId, email: rep.email },
      history: [{ action: 'submitted', by: { accountId: rep.accountId } }],
    });

    const bad = await browser.request('GET', `${DESK}?status=bogus&overdue=maybe`);
    expect(bad.status).toBe(400);
    expect(
      (bad.body as unknown as { errors: { field: string }[] }).errors.map((error) => error.field).sort(),
    ).toEqual(['overdue', 'status']);
    expect((await browser.request('GET', `${DESK}/${randomUUID()}`)).status).toBe(404);
    expect((await browser.request('GET', `${DESK}/not-an-id`)).status).toBe(404);
  });

  it('serves the document byte for byte, sandboxed, inline only for a type the page shows', async () => {
    const png = solidPng(60, 30, [200, 30, 30]);
    const po = await submitted(rep, { filename: 'scan 42.png', contentType: 'image/png', bytes: png });
    const browser = await signedIn(otherManager);
    const response = await fetch(`${platform.portal.url}${DESK}/${po.purchaseOrderId}/document`, {
      headers: { cookie: browser.cookie! },
    });
    expect(response.status).toBe(200);
    expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(sha256(png));
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('content-disposition')).toMatch(/^inline; filename=/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    const policy = response.headers.get('content-security-policy');
    expect(policy).toMatch(/^sandbox; default-src 'none'/);
    expect(policy).toContain("frame-ancestors 'self'");
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');

    const download = await fetch(`${platform.portal.url}${DESK}/${po.purchaseOrderId}/document?download=1`, {
      headers: { cookie: browser.cookie! },
    });
    expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename=/);
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(png));

    const pdf = tinyPdf('PO 43');
    const pdfPo = await submitted(rep, { filename: 'po.pdf', contentType: 'application/pdf', bytes: pdf });
    const pdfAnswer = await fetch(`${platform.portal.url}${DESK}/${pdfPo.purchaseOrderId}/document`, {
      headers: { cookie: browser.cookie! },
    });
    expect(pdfAnswer.headers.get('content-type')).toBe('application/pdf');
    expect(sha256(Buffer.from(await pdfAnswer.arrayBuffer()))).toBe(sha256(pdf));
  });

  it("passes po-intake's four-eyes refusals on: a rep, and the manager who submitted it", async () => {
    const byRep = await submitted(rep);
    const repBrowser = await signedIn(rep);
    const refused = await repBrowser.request('POST', `${DESK}/${byRep.purchaseOrderId}/approval`);
    expect(refused.status).toBe(403);
    expect(refused.body.type).not.toMatch(/staff-only$/);

    const byManager = await submitted(manager);
    const managerBrowser = await signedIn(manager);
    const own = await managerBrowser.request('POST', `${DESK}/${byManager.purchaseOrderId}/approval`);
    expect(own.status).toBe(403);
    expect(own.body.type).toMatch(/own-submission$/);
    const ownRejection = await managerBrowser.request(
      'POST',
      `${DESK}/${byManager.purchaseOrderId}/rejection`,
      {
        reason: 'Mine',
      },
    );
    expect(ownRejection.status).toBe(403);
  });

  it('rejects with a reason (required), approves another, refunds it, and refuses approving a rejected one', async () => {
    const toReject = await submitted(rep);
    const toApprove = await submitted(rep);
    const browser = await signedIn(manager);

    const empty = await browser.request('POST', `${DESK}/${toReject.purchaseOrderId}/rejection`, {
      reason: '',
    });
    expect(empty.status).toBe(400);
    expect(empty.body.errors).toEqual([expect.objectContaining({ field: 'reason' })]);

    const rejected = await browser.request('POST', `${DESK}/${toReject.purchaseOrderId}/rejection`, {
      reason: 'Total does not match the quote.',
    });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({
      status: 'rejected',
      rejectionReason: 'Total does not match the quote.',
      history: [
        { action: 'submitted' },
        {
          action: 'rejected',
          by: { accountId: manager.accountId },
          reason: 'Total does not match the quote.',
        },
      ],
    });
    const late = await browser.request('POST', `${DESK}/${toReject.purchaseOrderId}/approval`);
    expect(late.status).toBe(409);
    expect(late.body.type).toMatch(/already-decided$/);

    const approved = await browser.request('POST', `${DESK}/${toApprove.purchaseOrderId}/approval`);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', purchaseId: expect.any(String) });
    const refunded = await browser.request('POST', `${DESK}/${toApprove.purchaseOrderId}/refund`, {
      reason: 'Order cancelled by the buyer.',
    });
    expect(refunded.status).toBe(200);
    expect(refunded.body).toMatchObject({
      status: 'refunded',
      refundReason: 'Order cancelled by the buyer.',
    });
  });

  it('refuses unsafe desk requests from another origin (CSRF)', async () => {
    const po = await submitted(rep);
    const evil = new Browser(platform.portal.url, 'https://evil.example');
    evil.cookie = (await signedIn(manager)).cookie;
    const answer = await evil.request('POST', `${DESK}/${po.purchaseOrderId}/approval`);
    expect(answer.status).toBe(403);
    expect(answer.body.type).toMatch(/origin-refused$/);
  });
});
