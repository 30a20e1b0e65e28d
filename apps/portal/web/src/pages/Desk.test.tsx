import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { PurchaseOrder, Session } from '../api';
import { expectHeading, ok, problem, renderApp, SESSION } from '../test/fake-api';
import { queuePath, readQueueFilter } from './DeskQueue';
import { decisionFor } from './PurchaseOrder';

const MANAGER: Session = {
  accountId: 'acc-manager',
  email: 'mia.manager@dynamsoft.example',
  name: 'Mia Manager',
  company: null,
  roles: ['sales-manager'],
};
const REP: Session = {
  ...MANAGER,
  accountId: 'acc-rep',
  email: 'rex.rep@dynamsoft.example',
  roles: ['sales-rep'],
};

const PO_ID = '3f0c7a1e-5b2d-4c8e-9a61-0d2e4b7f9a10';
const purchaseOrder = (overrides: Partial<PurchaseOrder> = {}): PurchaseOrder => ({
  purchaseOrderId: PO_ID,
  poNumber: 'PO-2026-0042',
  status: 'received',
  customer: { email: 'ana.lima@example.com', name: 'Ana Lima', company: 'Example Ltd' },
  currency: 'USD',
  total: '2498.00',
  receivedAt: '2026-11-27T10:00:00Z',
  dueBy: '2026-11-30T17:00:00Z',
  overdue: false,
  submittedBy: { accountId: 'acc-rep', email: 'rex.rep@dynamsoft.example' },
  items: [{ sku: 'BARCODE-JS-DEVICE-1Y', quantity: 2, unitPrice: '1249.00' }],
  document: { filename: 'po-42.png', contentType: 'image/png', size: 2048, sha256: 'ab'.repeat(32) },
  purchaseId: null,
  decidedAt: null,
  rejectionReason: null,
  refundReason: null,
  resubmissionOf: null,
  history: [
    {
      action: 'submitted',
      by: { accountId: 'acc-rep', email: 'rex.rep@dynamsoft.example' },
      at: '2026-11-27T10:00:00Z',
      reason: null,
    },
  ],
  ...overrides,
});

const DESK = '/v1/desk/purchase-orders';
const asStaff = (session: Session, routes: Record<string, unknown>) =>
  ({ 'GET /v1/session': ok(session), ...routes }) as Parameters<typeof renderApp>[1];

describe('The queue filter', () => {
  it('is received by default and lives in the address', () => {
    expect(readQueueFilter('')).toEqual({ status: 'received', overdue: false, cursor: null });
    expect(readQueueFilter('?status=all&overdue=true&cursor=abc')).toEqual({
      status: null,
      overdue: true,
      cursor: 'abc',
    });
    expect(readQueueFilter('?status=nonsense')).toMatchObject({ status: 'received' });
    expect(queuePath({ status: 'received', overdue: false, cursor: null })).toBe('/desk');
    expect(queuePath({ status: null, overdue: true, cursor: 'c 1' })).toBe(
      '/desk?status=all&overdue=true&cursor=c+1',
    );
  });
});

describe('Who may decide (four eyes)', () => {
  it('lets a manager decide on a received PO someone else submitted', () => {
    expect(decisionFor(purchaseOrder(), MANAGER)).toEqual({ kind: 'decide' });
  });

  it('gives the submitter no decision, and says why', () => {
    const own = purchaseOrder({ submittedBy: { accountId: MANAGER.accountId, email: MANAGER.email } });
    expect(decisionFor(own, MANAGER)).toMatchObject({
      kind: 'none',
      why: /You submitted this purchase order/,
    });
  });

  it('gives a rep no decision, and a manager a refund of an approved PO', () => {
    expect(decisionFor(purchaseOrder(), REP)).toMatchObject({
      kind: 'none',
      why: /A sales manager approves/,
    });
    expect(decisionFor(purchaseOrder({ status: 'approved' }), MANAGER)).toEqual({ kind: 'refund' });
    expect(decisionFor(purchaseOrder({ status: 'approved' }), REP)).toMatchObject({ kind: 'none' });
    expect(decisionFor(purchaseOrder({ status: 'rejected' }), MANAGER)).toMatchObject({ kind: 'none' });
  });
});

describe('Sales desk', () => {
  it('is where staff land after signing in, with "Sales desk" in the nav', async () => {
    const { user } = renderApp('/sign-in', {
      'GET /v1/session': problem(401, 'not-signed-in', 'Sign in first.'),
      'POST /v1/session': ok(MANAGER),
      [`GET ${DESK}?status=received`]: ok({ purchaseOrders: [], nextCursor: null }),
    });
    await user.type(await screen.findByLabelText('Email'), MANAGER.email);
    await user.type(screen.getByLabelText('Password'), 'correct horse battery staple');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    await expectHeading('Sales desk');
    expect(window.location.pathname).toBe('/desk');
    expect(screen.getByRole('link', { name: 'Sales desk' })).toHaveAttribute('aria-current', 'page');
    expect(screen.getByText('No purchase orders here.')).toBeVisible();
  });

  it('is not in the nav of a customer, who is told the desk is for staff', async () => {
    const { sent } = renderApp('/desk', { 'GET /v1/session': ok(SESSION) });
    await expectHeading('For sales staff only');
    expect(screen.queryByRole('link', { name: 'Sales desk' })).not.toBeInTheDocument();
    expect(sent('GET', `${DESK}?status=received`)).toHaveLength(0);
  });

  it('lists the queue by due date with customer, total, dates, and overdue ones marked in words', async () => {
    renderApp(
      '/desk',
      asStaff(MANAGER, {
        [`GET ${DESK}?status=received`]: ok({
          purchaseOrders: [
            purchaseOrder({ overdue: true, dueBy: '2026-11-28T17:00:00Z' }),
            purchaseOrder({ purchaseOrderId: 'po-2', poNumber: 'PO-2026-0043', total: '899.00' }),
          ],
          nextCursor: null,
        }),
      }),
    );
    const overdue = await screen.findByRole('row', { name: /PO-2026-0042/ });
    expect(overdue).toHaveTextContent(/Ana Lima, Example Ltd.*ana.lima@example.com.*\$2,498.00/);
    expect(overdue).toHaveTextContent(/Nov 28, 2026.*Overdue/);
    expect(overdue).toHaveClass('row-overdue');
    const onTime = screen.getByRole('row', { name: /PO-2026-0043/ });
    expect(onTime).not.toHaveTextContent('Overdue');
    expect(within(overdue).getByRole('link', { name: 'PO-2026-0042' })).toHaveAttribute(
      'href',
      `/desk/purchase-orders/${PO_ID}`,
    );
    expect(screen.queryByRole('link', { name: 'Next page' })).not.toBeInTheDocument();
  });

  it('filters by status and overdue, and pages with the cursor', async () => {
    const { user } = renderApp(
      '/desk',
      asStaff(MANAGER, {
        [`GET ${DESK}?status=received`]: ok({ purchaseOrders: [purchaseOrder()], nextCursor: 'next 1' }),
        [`GET ${DESK}?status=received&cursor=next+1`]: ok({
          purchaseOrders: [purchaseOrder({ poNumber: 'PO-LATER' })],
          nextCursor: null,
        }),
        [`GET ${DESK}?status=approved`]: ok({ purchaseOrders: [], nextCursor: null }),
        [`GET ${DESK}?status=approved&overdue=true`]: ok({ purchaseOrders: [], nextCursor: null }),
        [`GET ${DESK}`]: ok({ purchaseOrders: [purchaseOrder({ status: 'approved' })], nextCursor: null }),
      }),
    );
    await user.click(await screen.findByRole('link', { name: 'Next page' }));
    expect(await screen.findByRole('link', { name: 'PO-LATER' })).toBeVisible();
    expect(screen.getByRole('link', { name: 'First page' })).toHaveAttribute('href', '/desk');
    await user.selectOptions(screen.getByLabelText('Status'), 'Approved');
    expect(await screen.findByText('No purchase orders here.')).toBeVisible();
    expect(window.location.search).toBe('?status=approved');
    await user.click(screen.getByLabelText('Overdue only'));
    await waitFor(() => expect(window.location.search).toBe('?status=approved&overdue=true'));
    expect(screen.getByRole('heading', { level: 2 })).toHaveTextContent('Approved, overdue only');
    await user.click(screen.getByLabelText('Overdue only'));
    await user.selectOptions(screen.getByLabelText('Status'), 'All statuses');
    expect(await screen.findByRole('row', { name: /PO-2026-0042/ })).toHaveTextContent('Approved');
  });

  it("shows the API's problem when the queue cannot be loaded", async () => {
    renderApp(
      '/desk',
      asStaff(MANAGER, {
        [`GET ${DESK}?status=received`]: problem(503, 'upstream-unavailable', 'po-intake is down.'),
      }),
    );
    expect(await screen.findByRole('alert')).toHaveTextContent('po-intake is down.');
  });
});

describe('Purchase order page', () => {
  const path = `/desk/purchase-orders/${PO_ID}`;

  it('shows every field, the items, the history and the image document inline with a download link', async () => {
    renderApp(path, asStaff(MANAGER, { [`GET ${DESK}/${PO_ID}`]: ok(purchaseOrder()) }));
    await expectHeading('Purchase order PO-2026-0042');
    expect(screen.getByText('Received, awaiting decision')).toBeVisible();
    expect(screen.getByText('Ana Lima, Example Ltd (ana.lima@example.com)')).toBeVisible();
    expect(screen.getByRole('row', { name: /BARCODE-JS-DEVICE-1Y/ })).toHaveTextContent(/2.*\$1,249.00/);
    expect(screen.getByRole('row', { name: /Submitted/ })).toHaveTextContent(/rex.rep@dynamsoft.example/);
    const image = screen.getByRole('img', { name: 'The purchase order document po-42.png' });
    expect(image).toHaveAttribute('src', `${DESK}/${PO_ID}/document`);
    const download = screen.getByRole('link', { name: 'Download po-42.png' });
    expect(download).toHaveAttribute('href', `${DESK}/${PO_ID}/document?download=1`);
  });

  it('shows a PDF in a frame (sandboxed by the answer, not the attribute), and the download link', async () => {
    const pdf = purchaseOrder({
      document: { filename: 'po.pdf', contentType: 'application/pdf', size: 4096, sha256: 'cd'.repeat(32) },
    });
    renderApp(path, asStaff(MANAGER, { [`GET ${DESK}/${PO_ID}`]: ok(pdf) }));
    const frame = await screen.findByTitle('The purchase order document po.pdf');
    expect(frame.tagName).toBe('IFRAME');
    expect(frame).toHaveAttribute('src', `${DESK}/${PO_ID}/document`);
    expect(frame).not.toHaveAttribute('sandbox');
    expect(screen.getByRole('link', { name: 'Download po.pdf' })).toBeVisible();
  });

  it('has no Approve button on the staff member’s own submission, and says why', async () => {
    const own = purchaseOrder({ submittedBy: { accountId: MANAGER.accountId, email: MANAGER.email } });
    renderApp(path, asStaff(MANAGER, { [`GET ${DESK}/${PO_ID}`]: ok(own) }));
    expect(await screen.findByText(/You submitted this purchase order/)).toBeVisible();
    expect(screen.queryByRole('button', { name: 'Approve' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Reject' })).not.toBeInTheDocument();
  });

  it('has no Approve button for a rep', async () => {
    renderApp(path, asStaff(REP, { [`GET ${DESK}/${PO_ID}`]: ok(purchaseOrder()) }));
    expect(await screen.findByText('A sales manager approves or rejects this purchase order.')).toBeVisible();
    expect(screen.queryByRole('button', { name: 'Approve' })).not.toBeInTheDocument();
  });

  it('approves after confirmation and shows the new status and history', async () => {
    const approved = purchaseOrder({
      status: 'approved',
      decidedAt: '2026-11-27T11:00:00Z',
      purchaseId: PO_ID,
      history: [
        ...purchaseOrder().history,
        {
          action: 'approved',
          by: { accountId: MANAGER.accountId, email: MANAGER.email },
          at: '2026-11-27T11:00:00Z',
          reason: null,
        },
      ],
    });
    const { user, sent } = renderApp(
      path,
      asStaff(MANAGER, {
        [`GET ${DESK}/${PO_ID}`]: ok(purchaseOrder()),
        [`POST ${DESK}/${PO_ID}/approval`]: ok(approved),
      }),
    );
    await user.click(await screen.findByRole('button', { name: 'Approve' }));
    const dialog = screen.getByRole('dialog', { name: 'Approve purchase order PO-2026-0042?' });
    await user.click(within(dialog).getByRole('button', { name: 'Confirm approval' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(screen.getByText('Approved', { selector: 'strong' })).toBeVisible();
    expect(screen.getByRole('row', { name: /Approved.*mia.manager/ })).toBeVisible();
    expect(screen.getByRole('button', { name: 'Refund' })).toBeVisible();
    expect(sent('POST', `${DESK}/${PO_ID}/approval`)).toHaveLength(1);
  });

  it('rejects only with a reason, the error next to the field, and shows the reason afterwards', async () => {
    const rejected = purchaseOrder({
      status: 'rejected',
      rejectionReason: 'Total does not match the quote.',
      history: [
        ...purchaseOrder().history,
        {
          action: 'rejected',
          by: { accountId: MANAGER.accountId, email: MANAGER.email },
          at: '2026-11-27T11:00:00Z',
          reason: 'Total does not match the quote.',
        },
      ],
    });
    const { user, sent } = renderApp(
      path,
      asStaff(MANAGER, {
        [`GET ${DESK}/${PO_ID}`]: ok(purchaseOrder()),
        [`POST ${DESK}/${PO_ID}/rejection`]: ok(rejected),
      }),
    );
    await user.click(await screen.findByRole('button', { name: 'Reject' }));
    const dialog = screen.getByRole('dialog', { name: 'Reject purchase order PO-2026-0042' });
    await user.click(within(dialog).getByRole('button', { name: 'Confirm rejection' }));
    const reason = within(dialog).getByLabelText('Reason');
    expect(reason).toHaveAccessibleDescription(/Enter the reason: the history keeps it\./);
    expect(reason).toHaveFocus();
    expect(sent('POST', `${DESK}/${PO_ID}/rejection`)).toHaveLength(0);
    await user.type(reason, '  Total does not match the quote.  ');
    await user.click(within(dialog).getByRole('button', { name: 'Confirm rejection' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(sent('POST', `${DESK}/${PO_ID}/rejection`)[0]?.body).toEqual({
      reason: 'Total does not match the quote.',
    });
    expect(screen.getByText('Rejected', { selector: 'strong' })).toBeVisible();
    expect(screen.getByRole('row', { name: /Rejected.*Total does not match the quote\./ })).toBeVisible();
  });

  it("puts the API's field error next to the reason", async () => {
    const { user } = renderApp(
      path,
      asStaff(MANAGER, {
        [`GET ${DESK}/${PO_ID}`]: ok(purchaseOrder()),
        [`POST ${DESK}/${PO_ID}/rejection`]: problem(400, 'invalid-body', 'Invalid field: reason', [
          { field: 'reason', message: 'must not contain control or invisible formatting characters' },
        ]),
      }),
    );
    await user.click(await screen.findByRole('button', { name: 'Reject' }));
    const dialog = screen.getByRole('dialog');
    await user.type(within(dialog).getByLabelText('Reason'), 'x');
    await user.click(within(dialog).getByRole('button', { name: 'Confirm rejection' }));
    await waitFor(() =>
      expect(within(dialog).getByLabelText('Reason')).toHaveAccessibleDescription(
        /Must not contain control or invisible formatting characters\./,
      ),
    );
  });

  it('says why a decision was refused (decided meanwhile) and shows the PO as it is now', async () => {
    const { user } = renderApp(
      path,
      asStaff(MANAGER, {
        [`GET ${DESK}/${PO_ID}`]: [ok(purchaseOrder()), ok(purchaseOrder({ status: 'approved' }))],
        [`POST ${DESK}/${PO_ID}/rejection`]: problem(409, 'already-decided', 'It was approved already.'),
      }),
    );
    await user.click(await screen.findByRole('button', { name: 'Reject' }));
    await user.type(within(screen.getByRole('dialog')).getByLabelText('Reason'), 'Too late');
    await user.click(screen.getByRole('button', { name: 'Confirm rejection' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('It was approved already.');
    expect(await screen.findByText('Approved', { selector: 'strong' })).toBeVisible();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('refunds an approved PO with a reason', async () => {
    const approved = purchaseOrder({ status: 'approved' });
    const { user, sent } = renderApp(
      path,
      asStaff(MANAGER, {
        [`GET ${DESK}/${PO_ID}`]: ok(approved),
        [`POST ${DESK}/${PO_ID}/refund`]: ok({ ...approved, status: 'refunded', refundReason: 'Cancelled' }),
      }),
    );
    await user.click(await screen.findByRole('button', { name: 'Refund' }));
    await user.type(within(screen.getByRole('dialog')).getByLabelText('Reason'), 'Cancelled');
    await user.click(screen.getByRole('button', { name: 'Confirm refund' }));
    expect(await screen.findByText('Refunded', { selector: 'strong' })).toBeVisible();
    expect(sent('POST', `${DESK}/${PO_ID}/refund`)[0]?.body).toEqual({ reason: 'Cancelled' });
  });

  it('is the not-found page for an unknown purchase order, leading back to the queue', async () => {
    renderApp(
      path,
      asStaff(MANAGER, { [`GET ${DESK}/${PO_ID}`]: problem(404, 'not-found', 'No such purchase order.') }),
    );
    await expectHeading('Page not found');
    expect(screen.getByRole('link', { name: 'Go to the sales desk' })).toHaveAttribute('href', '/desk');
    expect(screen.queryByRole('link', { name: 'Go to Generate License(s)' })).not.toBeInTheDocument();
  });
});
