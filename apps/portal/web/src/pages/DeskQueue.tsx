import { useCallback, useId } from 'react';
import { api, type PurchaseOrderStatus, type PurchaseOrderSummary, type QueueFilter } from '../api';
import { Page } from '../components/Page';
import { LoadError, Loading } from '../components/Status';
import { Table, type Column } from '../components/Table';
import { formatDateTime, formatMoney, label, purchaseOrderStatusLabel } from '../format';
import { useResource } from '../hooks';
import { Link, useLocation, useNavigate } from '../router';

const STATUSES: PurchaseOrderStatus[] = ['received', 'approved', 'rejected', 'refunded'];
const ALL = 'all';

/** The queue's filter from the address (`?status=&overdue=true&cursor=`); received by default. */
export function readQueueFilter(search: string): QueueFilter {
  const params = new URLSearchParams(search);
  const status = params.get('status');
  return {
    status:
      status === ALL
        ? null
        : STATUSES.includes(status as PurchaseOrderStatus)
          ? (status as PurchaseOrderStatus)
          : 'received',
    overdue: params.get('overdue') === 'true',
    cursor: params.get('cursor') || null,
  };
}

/** The address of the queue with this filter (the default status left out). */
export function queuePath(filter: QueueFilter): string {
  const params = new URLSearchParams();
  if (filter.status !== 'received') params.set('status', filter.status ?? ALL);
  if (filter.overdue) params.set('overdue', 'true');
  if (filter.cursor) params.set('cursor', filter.cursor);
  const query = params.toString();
  return query ? `/desk?${query}` : '/desk';
}

const FILTER_LABEL: Record<string, string> = {
  received: 'Received (awaiting decision)',
  approved: 'Approved',
  rejected: 'Rejected',
  refunded: 'Refunded',
  [ALL]: 'All statuses',
};

/** "Overdue", in words and not in colour alone. */
export function OverdueMark() {
  return (
    <span className="badge badge-overdue">
      <span aria-hidden="true">⚠ </span>Overdue
    </span>
  );
}

function Queue({ page, showStatus }: { page: PurchaseOrderSummary[]; showStatus: boolean }) {
  const columns: Column[] = [
    { key: 'poNumber', header: 'PO number' },
    { key: 'customer', header: 'Customer' },
    { key: 'total', header: 'Total' },
    { key: 'received', header: 'Received' },
    { key: 'due', header: 'Due by' },
    ...(showStatus ? [{ key: 'status', header: 'Status' }] : []),
  ];
  return (
    <Table
      caption="Purchase orders, soonest due first"
      columns={columns}
      rows={page.map((po) => ({
        id: po.purchaseOrderId,
        className: po.overdue ? 'row-overdue' : undefined,
        cells: {
          poNumber: (
            <Link to={`/desk/purchase-orders/${encodeURIComponent(po.purchaseOrderId)}`}>{po.poNumber}</Link>
          ),
          customer: (
            <>
              {po.customer.name}
              {po.customer.company && <>, {po.customer.company}</>}
              <br />
              <span className="muted">{po.customer.email}</span>
            </>
          ),
          total: formatMoney(po.total, po.currency),
          received: formatDateTime(po.receivedAt),
          due: (
            <>
              {formatDateTime(po.dueBy)}
              {po.overdue && (
                <>
                  {' '}
                  <OverdueMark />
                </>
              )}
            </>
          ),
          status: label(purchaseOrderStatusLabel, po.status),
        },
      }))}
    />
  );
}

/** The sales desk's queue: purchase orders sorted by due date, filtered by status, overdue marked. */
export function DeskQueuePage() {
  const { search } = useLocation();
  const navigate = useNavigate();
  const ids = useId();
  const filter = readQueueFilter(search);
  const { status, overdue, cursor } = filter;
  const load = useCallback(
    () => api.listPurchaseOrders({ status, overdue, cursor }),
    [status, overdue, cursor],
  );
  const { state, reload } = useResource(load);
  // A new filter starts again at the first page.
  const refilter = (change: Partial<QueueFilter>) =>
    navigate(queuePath({ ...filter, ...change, cursor: null }));

  return (
    <Page title="Sales desk">
      <p className="lead">
        Purchase orders, soonest due first. Each is due by the end of the next business day after it was
        received; overdue ones are marked.
      </p>
      <form
        className="toolbar desk-filter"
        role="search"
        aria-label="Filter purchase orders"
        onSubmit={(e) => e.preventDefault()}
      >
        <div className="field">
          <label htmlFor={`${ids}-status`}>Status</label>
          <select
            id={`${ids}-status`}
            value={status ?? ALL}
            onChange={(event) => {
              const value = event.target.value;
              refilter({ status: value === ALL ? null : (value as PurchaseOrderStatus) });
            }}
          >
            {[...STATUSES, ALL].map((value) => (
              <option key={value} value={value}>
                {FILTER_LABEL[value]}
              </option>
            ))}
          </select>
        </div>
        <div className="check">
          <input
            type="checkbox"
            id={`${ids}-overdue`}
            checked={overdue}
            onChange={(event) => refilter({ overdue: event.target.checked })}
          />
          <label htmlFor={`${ids}-overdue`}>Overdue only</label>
        </div>
      </form>
      <section aria-labelledby="queue-heading" aria-busy={state.status === 'loading'} className="block">
        <h2 id="queue-heading">
          {FILTER_LABEL[status ?? ALL]}
          {overdue ? ', overdue only' : ''}
        </h2>
        {state.status === 'loading' && <Loading>Loading purchase orders…</Loading>}
        {state.status === 'error' && <LoadError error={state.error} onRetry={reload} />}
        {state.status === 'ok' && (
          <>
            {state.data.purchaseOrders.length === 0 ? (
              <p className="empty">{cursor ? 'No more purchase orders.' : 'No purchase orders here.'}</p>
            ) : (
              <Queue page={state.data.purchaseOrders} showStatus={status === null} />
            )}
            {(cursor || state.data.nextCursor) && (
              <nav aria-label="Pages of purchase orders" className="pager">
                {cursor && <Link to={queuePath({ ...filter, cursor: null })}>First page</Link>}
                {state.data.nextCursor && (
                  <Link to={queuePath({ ...filter, cursor: state.data.nextCursor })}>Next page</Link>
                )}
              </nav>
            )}
          </>
        )}
      </section>
    </Page>
  );
}

/** A customer who opens a sales desk address. */
export function StaffOnlyPage() {
  return (
    <Page title="For sales staff only">
      <p>The sales desk is for Dynamsoft&apos;s sales staff. Your licenses are on your Licenses page.</p>
      <p>
        <Link to="/licenses">Go to Generate License(s)</Link>
      </p>
    </Page>
  );
}
