import { useCallback, useState } from 'react';
import {
  api,
  ProblemError,
  purchaseOrderDocumentUrl,
  SessionEndedError,
  type PurchaseOrder,
  type Session,
} from '../api';
import { useAnnounce } from '../components/Announcer';
import { FormDialog } from '../components/Dialog';
import { Field } from '../components/Field';
import { Page } from '../components/Page';
import { Alert, LoadError, Loading } from '../components/Status';
import { Table } from '../components/Table';
import {
  formatBytes,
  formatDateTime,
  formatMoney,
  historyActionLabel,
  label,
  purchaseOrderStatusLabel,
} from '../format';
import { placeErrors, useForm, useResource } from '../hooks';
import { Link } from '../router';
import { isSalesManager, useSession } from '../session';
import { OverdueMark } from './DeskQueue';
import { NotFoundPage } from './NotFound';

const TITLE = 'Purchase order';

export type Decision = { kind: 'decide' } | { kind: 'refund' } | { kind: 'none'; why: string };

/**
 * What the signed-in staff member may do with the purchase order, or why nothing (po-intake decides
 * in the end; this keeps the page from offering what it would refuse). Four eyes: the one who
 * submitted it never approves or rejects it.
 */
export function decisionFor(po: PurchaseOrder, session: Session): Decision {
  const manager = isSalesManager(session);
  if (po.status === 'received') {
    if (!manager) return { kind: 'none', why: 'A sales manager approves or rejects this purchase order.' };
    if (po.submittedBy.accountId === session.accountId) {
      return {
        kind: 'none',
        why:
          'You submitted this purchase order, so another sales manager approves or rejects it ' +
          '(four eyes: nobody decides on their own submission).',
      };
    }
    return { kind: 'decide' };
  }
  if (po.status === 'approved') {
    return manager
      ? { kind: 'refund' }
      : { kind: 'none', why: 'Approved. A sales manager can refund it if the order is cancelled.' };
  }
  if (po.status === 'rejected') {
    return {
      kind: 'none',
      why: 'Rejected. A corrected purchase order with the same number may be submitted again.',
    };
  }
  return { kind: 'none', why: 'Refunded. Its licenses are revoked.' };
}

function ReasonDialog({
  title,
  intro,
  submitLabel,
  action,
  onClose,
  onDone,
}: {
  title: string;
  intro: string;
  submitLabel: string;
  action: (reason: string) => Promise<PurchaseOrder>;
  onClose: () => void;
  onDone: (po: PurchaseOrder) => void;
}) {
  const form = useForm({ reason: '' });
  const submit = async () => {
    if (!form.filled({ reason: 'Enter the reason: the history keeps it.' })) return;
    const result = await form.submit(() => action(form.values.reason.trim()));
    if (result.ok) onDone(result.value);
  };
  return (
    <FormDialog
      title={title}
      onClose={onClose}
      onSubmit={submit}
      error={form.formError}
      submitLabel={submitLabel}
      pending={form.pending}
    >
      <p>{intro}</p>
      <Field label="Reason" required hint="Up to 1000 characters, on one line." {...form.field('reason')} />
    </FormDialog>
  );
}

function ApproveDialog({
  po,
  onClose,
  onDone,
}: {
  po: PurchaseOrder;
  onClose: () => void;
  onDone: (po: PurchaseOrder) => void;
}) {
  const form = useForm({});
  const submit = async () => {
    const result = await form.submit(() => api.approvePurchaseOrder(po.purchaseOrderId));
    if (result.ok) onDone(result.value);
  };
  return (
    <FormDialog
      title={`Approve purchase order ${po.poNumber}?`}
      onClose={onClose}
      onSubmit={submit}
      error={form.formError}
      submitLabel="Confirm approval"
      pending={form.pending}
    >
      <p>
        This records the purchase of {formatMoney(po.total, po.currency)} for {po.customer.email}: the buyer
        gets an account (if new) and the items to license. It cannot be undone, only refunded.
      </p>
    </FormDialog>
  );
}

/** The document: an image in the page, a PDF in a frame sandboxed by its answer's CSP, and always a download link. */
function DocumentView({ po }: { po: PurchaseOrder }) {
  const { filename, contentType, size } = po.document;
  const shown = purchaseOrderDocumentUrl(po.purchaseOrderId);
  const download = purchaseOrderDocumentUrl(po.purchaseOrderId, true);
  return (
    <>
      <p>
        <a href={download} download={filename} className="button button-secondary">
          Download {filename}
        </a>{' '}
        <span className="muted">
          ({contentType}, {formatBytes(size)})
        </span>
      </p>
      {contentType === 'image/png' || contentType === 'image/jpeg' ? (
        <img className="po-document" src={shown} alt={`The purchase order document ${filename}`} />
      ) : contentType === 'application/pdf' ? (
        <>
          <p className="hint" id="pdf-frame-note">
            Shown sandboxed: the portal serves the document under its own sandbox (no scripts, no access to
            the portal), as the browser's PDF viewer draws it. If it does not appear,{' '}
            <a href={shown} target="_blank" rel="noopener noreferrer">
              open the PDF in a new tab
            </a>{' '}
            or download it.
          </p>
          {/* No sandbox attribute: Chromium will not draw a PDF in an attribute-sandboxed frame. The
              sandbox comes with the answer instead (Content-Security-Policy: sandbox), which puts the
              framed document in an opaque origin without scripts all the same. */}
          <iframe
            className="po-document po-document-pdf"
            src={shown}
            title={`The purchase order document ${filename}`}
            aria-describedby="pdf-frame-note"
          />
        </>
      ) : (
        <p>This type of document is not shown in the page; download it to read it.</p>
      )}
    </>
  );
}

function PurchaseOrderView({
  po,
  session,
  onChanged,
  onStale,
}: {
  po: PurchaseOrder;
  session: Session;
  onChanged: (po: PurchaseOrder) => void;
  onStale: () => void;
}) {
  const [dialog, setDialog] = useState<'approve' | 'reject' | 'refund' | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const announce = useAnnounce();
  const decision = decisionFor(po, session);

  const done = (message: string) => (updated: PurchaseOrder) => {
    setDialog(null);
    setActionError(null);
    onChanged(updated);
    announce(message);
  };
  // A refusal that is not about the reason (decided meanwhile, four eyes): said above the actions,
  // and the purchase order shown as it is now.
  const guarded = (action: (reason: string) => Promise<PurchaseOrder>) => async (reason: string) => {
    try {
      return await action(reason);
    } catch (error) {
      if (error instanceof ProblemError && (error.status === 409 || error.status === 403)) {
        setDialog(null);
        setActionError(placeErrors(error, []).form);
        onStale();
      }
      if (error instanceof SessionEndedError) setDialog(null);
      throw error;
    }
  };

  return (
    <Page title={`${TITLE} ${po.poNumber}`}>
      <p>
        <Link to="/desk">Back to the queue</Link>
      </p>
      <dl className="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <strong>{label(purchaseOrderStatusLabel, po.status)}</strong>
            {po.overdue && (
              <>
                {' '}
                <OverdueMark />
              </>
            )}
          </dd>
        </div>
        <div>
          <dt>Customer</dt>
          <dd>
            {po.customer.name}
            {po.customer.company && <>, {po.customer.company}</>} ({po.customer.email})
          </dd>
        </div>
        <div>
          <dt>Total</dt>
          <dd>{formatMoney(po.total, po.currency)}</dd>
        </div>
        <div>
          <dt>Received</dt>
          <dd>{formatDateTime(po.receivedAt)}</dd>
        </div>
        <div>
          <dt>Due by</dt>
          <dd>{formatDateTime(po.dueBy)}</dd>
        </div>
        <div>
          <dt>Submitted by</dt>
          <dd>{po.submittedBy.email}</dd>
        </div>
        {po.decidedAt && (
          <div>
            <dt>Decided</dt>
            <dd>{formatDateTime(po.decidedAt)}</dd>
          </div>
        )}
        {po.rejectionReason && (
          <div>
            <dt>Rejection reason</dt>
            <dd>{po.rejectionReason}</dd>
          </div>
        )}
        {po.refundReason && (
          <div>
            <dt>Refund reason</dt>
            <dd>{po.refundReason}</dd>
          </div>
        )}
        {po.purchaseId && (
          <div>
            <dt>Purchase id</dt>
            <dd>
              <code>{po.purchaseId}</code>
            </dd>
          </div>
        )}
        {po.resubmissionOf && (
          <div>
            <dt>Corrects</dt>
            <dd>
              <Link to={`/desk/purchase-orders/${encodeURIComponent(po.resubmissionOf)}`}>
                the rejected purchase order
              </Link>
            </dd>
          </div>
        )}
      </dl>

      <section aria-labelledby="decision-heading" className="block">
        <h2 id="decision-heading">Decision</h2>
        {actionError && <Alert>{actionError}</Alert>}
        {decision.kind === 'decide' && (
          <div className="form-actions">
            <button type="button" className="button" onClick={() => setDialog('approve')}>
              Approve
            </button>
            <button type="button" className="button button-secondary" onClick={() => setDialog('reject')}>
              Reject
            </button>
          </div>
        )}
        {decision.kind === 'refund' && (
          <button type="button" className="button button-secondary" onClick={() => setDialog('refund')}>
            Refund
          </button>
        )}
        {decision.kind === 'none' && <p>{decision.why}</p>}
      </section>

      <section aria-labelledby="items-heading" className="block">
        <h2 id="items-heading">Items</h2>
        <Table
          caption={`Items of purchase order ${po.poNumber}`}
          columns={[
            { key: 'sku', header: 'SKU' },
            { key: 'quantity', header: 'Quantity' },
            { key: 'unitPrice', header: 'Unit price' },
          ]}
          rows={po.items.map((item, index) => ({
            id: `${index}`,
            cells: {
              sku: <code>{item.sku}</code>,
              quantity: item.quantity,
              unitPrice: formatMoney(item.unitPrice, po.currency),
            },
          }))}
        />
      </section>

      <section aria-labelledby="document-heading" className="block">
        <h2 id="document-heading">Document</h2>
        <DocumentView po={po} />
      </section>

      <section aria-labelledby="history-heading" className="block">
        <h2 id="history-heading">History</h2>
        <Table
          caption={`History of purchase order ${po.poNumber}`}
          columns={[
            { key: 'action', header: 'Action' },
            { key: 'by', header: 'By' },
            { key: 'at', header: 'When' },
            { key: 'reason', header: 'Reason' },
          ]}
          rows={po.history.map((entry, index) => ({
            id: `${index}`,
            cells: {
              action: label(historyActionLabel, entry.action),
              by: entry.by.email,
              at: formatDateTime(entry.at),
              reason: entry.reason ?? '–',
            },
          }))}
        />
      </section>

      {dialog === 'approve' && (
        <ApproveDialog
          po={po}
          onClose={() => setDialog(null)}
          onDone={done(`Purchase order ${po.poNumber} approved.`)}
        />
      )}
      {dialog === 'reject' && (
        <ReasonDialog
          title={`Reject purchase order ${po.poNumber}`}
          intro="Say why, for the sales rep and the history. A corrected purchase order with the same number can be submitted afterwards."
          submitLabel="Confirm rejection"
          action={guarded((reason) => api.rejectPurchaseOrder(po.purchaseOrderId, reason))}
          onClose={() => setDialog(null)}
          onDone={done(`Purchase order ${po.poNumber} rejected.`)}
        />
      )}
      {dialog === 'refund' && (
        <ReasonDialog
          title={`Refund purchase order ${po.poNumber}`}
          intro="The licenses generated from this purchase order are revoked."
          submitLabel="Confirm refund"
          action={guarded((reason) => api.refundPurchaseOrder(po.purchaseOrderId, reason))}
          onClose={() => setDialog(null)}
          onDone={done(`Purchase order ${po.poNumber} refunded.`)}
        />
      )}
    </Page>
  );
}

/** A purchase order of the sales desk: its fields, items, document, history and the decision on it. */
export function PurchaseOrderPage({ purchaseOrderId }: { purchaseOrderId: string }) {
  const { state: sessionState } = useSession();
  const load = useCallback(() => api.getPurchaseOrder(purchaseOrderId), [purchaseOrderId]);
  const { state, reload, replace } = useResource(load);
  if (state.status === 'ok' && sessionState.status === 'signed-in') {
    return (
      <PurchaseOrderView
        po={state.data}
        session={sessionState.session}
        onChanged={replace}
        onStale={reload}
      />
    );
  }
  if (state.status === 'error' && state.error instanceof ProblemError && state.error.status === 404) {
    return <NotFoundPage />;
  }
  return (
    <Page title={TITLE}>
      <div aria-busy={state.status === 'loading'}>
        {state.status === 'error' ? (
          <LoadError error={state.error} onRetry={reload} />
        ) : (
          <Loading>Loading the purchase order…</Loading>
        )}
      </div>
    </Page>
  );
}
