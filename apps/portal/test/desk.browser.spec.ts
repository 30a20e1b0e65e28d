/// <reference lib="dom" />
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { eventually, startPlatform, type Platform, type StaffMember } from '@otl/testing';
import { explained, launchChromium, lookAt } from './browser-support';
import { solidPng, submitPurchaseOrder, tinyPdf, type SubmittedPo } from './support';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * The sales desk in Chromium: a rep submits purchase orders (through po-intake's API, as sales
 * tooling does), a manager signs in to the portal, finds them in the queue, reads the document,
 * rejects one with a reason and approves another; nobody gets an Approve button on their own
 * submission.
 */
describe('the sales desk in a real browser (Chromium, po-intake and the running services)', () => {
  let platform: Platform;
  let browser: Browser;
  let rep: StaffMember;
  let manager: StaffMember;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [platform, browser] = await Promise.all([
      startPlatform({ label: 'portal_desk_browser', poIntake: true }),
      launchChromium(),
    ]);
    [rep, manager] = await Promise.all([platform.staff('sales-rep'), platform.staff('sales-manager')]);
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });

  const portalUrl = (path = '/') => `${platform.portal.url.replace('127.0.0.1', 'localhost')}${path}`;

  async function signedIn(member: StaffMember): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
    });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await explained(page, `desk-sign-in-${member.role}`, async () => {
      await page.goto(portalUrl('/sign-in'));
      await page.getByLabel('Email').fill(member.email);
      await page.getByLabel('Password', { exact: true }).fill(member.password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByRole('heading', { name: 'Sales desk', level: 1 }).waitFor();
    });
    expect(new URL(page.url()).pathname).toBe('/desk');
    return page;
  }

  const png = solidPng(120, 60, [20, 90, 160]);
  const submit = async (
    by: StaffMember,
    document = { filename: 'scan.png', contentType: 'image/png', bytes: png },
  ) => submitPurchaseOrder(platform.poIntake!.url, await by.accessToken(), document);

  async function open(page: Page, po: SubmittedPo): Promise<void> {
    await page.getByRole('link', { name: 'Sales desk', exact: true }).click();
    await page.getByRole('heading', { name: 'Sales desk', level: 1 }).waitFor();
    await page.getByRole('link', { name: po.poNumber, exact: true }).click();
    await page.getByRole('heading', { name: `Purchase order ${po.poNumber}` }).waitFor();
  }

  it('takes a manager from the queue to a rejected and an approved purchase order', async () => {
    const toReject = await submit(rep);
    const toApprove = await submit(rep);
    const page = await signedIn(manager);

    // The queue: each with its due date, as the page formats it.
    const row = page.getByRole('row', { name: new RegExp(toReject.poNumber) });
    await row.waitFor();
    const due = await page.evaluate(
      (iso) =>
        new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)),
      toReject.dueBy,
    );
    expect(await row.textContent()).toContain(due);
    expect(await row.textContent()).toContain('$2,498.00');
    await lookAt(page, 'desk-01-queue');

    // The purchase order: the PNG shown in the page, drawn by the browser.
    await open(page, toReject);
    const image = page.getByRole('img', { name: 'The purchase order document scan.png' });
    await image.waitFor();
    const width = await image.evaluate(async (element) => {
      const img = element as HTMLImageElement;
      await img.decode();
      return img.naturalWidth;
    });
    expect(width).toBe(120);
    await page.getByText('Received, awaiting decision').waitFor();
    await lookAt(page, 'desk-02-purchase-order');

    // Reject: the reason is required, said next to the field.
    await page.getByRole('button', { name: 'Reject', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Confirm rejection' }).click();
    const reason = dialog.getByLabel('Reason');
    await dialog.getByText('Enter the reason: the history keeps it.').waitFor();
    expect(await reason.getAttribute('aria-invalid')).toBe('true');
    await lookAt(page, 'desk-03-reject-dialog');
    await reason.fill('Total does not match the quote.');
    await dialog.getByRole('button', { name: 'Confirm rejection' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText('Rejected', { exact: true }).first().waitFor();
    await page.getByRole('row', { name: /Rejected.*Total does not match the quote\./ }).waitFor();
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);

    // Approve the other one.
    await open(page, toApprove);
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm approval' }).click();
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    await page.getByText('Approved', { exact: true }).first().waitFor();
    await page.getByRole('row', { name: new RegExp(`Approved.*${manager.email}`) }).waitFor();
    await page.getByRole('button', { name: 'Refund' }).waitFor();
    await lookAt(page, 'desk-04-approved');

    // The queue of received ones no longer holds either.
    await page.getByRole('link', { name: 'Back to the queue' }).click();
    await page.getByRole('heading', { name: 'Sales desk', level: 1 }).waitFor();
    await page.getByRole('table').or(page.getByText('No purchase orders here.')).first().waitFor();
    expect(await page.getByRole('link', { name: toApprove.poNumber, exact: true }).count()).toBe(0);
  });

  it('gives nobody an Approve button on their own submission, nor to a rep', async () => {
    const byManager = await submit(manager);
    const managerPage = await signedIn(manager);
    await open(managerPage, byManager);
    await managerPage.getByText(/You submitted this purchase order/).waitFor();
    expect(await managerPage.getByRole('button', { name: 'Approve' }).count()).toBe(0);

    const byRep = await submit(rep);
    const repPage = await signedIn(rep);
    await open(repPage, byRep);
    await repPage.getByText('A sales manager approves or rejects this purchase order.').waitFor();
    expect(await repPage.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    await lookAt(repPage, 'desk-05-rep-view');
  });

  it('shows a PDF in place, sandboxed by its answer, and always offers it as a download', async () => {
    const pdf = tinyPdf('PO 77');
    const po = await submit(rep, { filename: 'po-77.pdf', contentType: 'application/pdf', bytes: pdf });
    const page = await signedIn(manager);
    const [answer] = await Promise.all([
      page.waitForResponse((response) =>
        response.url().endsWith(`/v1/desk/purchase-orders/${po.purchaseOrderId}/document`),
      ),
      open(page, po),
    ]);
    const headers = await answer.allHeaders();
    expect(headers['content-security-policy']).toMatch(/(^|; )sandbox(;|$)/);
    expect(headers['x-content-type-options']).toBe('nosniff');
    const frame = page.getByTitle('The purchase order document po-77.pdf');
    expect(await frame.getAttribute('sandbox')).toBeNull();
    // Chromium's PDF viewer draws it inside the frame (an extension frame below the document's).
    await eventually(
      async () =>
        page.frames().some((candidate) => candidate.url().startsWith('chrome-extension://')) || undefined,
      { what: "Chromium's PDF viewer in the frame", timeoutMs: 10_000, intervalMs: 200 },
    );
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download po-77.pdf' }).click(),
    ]);
    expect(sha256(await readFile((await download.path())!))).toBe(sha256(pdf));
    await lookAt(page, 'desk-06-pdf');
  });
});
