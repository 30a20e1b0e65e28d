import { useState } from 'react';
import { api, SessionEndedError, type License, type LicenseItem } from '../api';
import { useAnnounce } from '../components/Announcer';
import { Page } from '../components/Page';
import { Alert, LoadError, Loading } from '../components/Status';
import { ITEM_COLUMNS, itemCells, Table, type Column } from '../components/Table';
import {
  channelLabel,
  formatDate,
  formatDateTime,
  itemStatusLabel,
  label,
  licenseStatusLabel,
} from '../format';
import { placeErrors, useResource } from '../hooks';
import { Link, useNavigate } from '../router';

interface Order {
  purchaseId: string;
  channel: string;
  externalRef: string;
  purchasedAt: string;
  items: LicenseItem[];
}

/** Items newest first, as the API lists them, grouped by the order (purchase) they came in. */
export function groupByOrder(items: LicenseItem[]): Order[] {
  const orders = new Map<string, Order>();
  for (const item of items) {
    const order = orders.get(item.purchaseId) ?? {
      purchaseId: item.purchaseId,
      channel: item.channel,
      externalRef: item.externalRef,
      purchasedAt: item.purchasedAt,
      items: [],
    };
    order.items.push(item);
    orders.set(item.purchaseId, order);
  }
  return [...orders.values()];
}

/** "Generate one License" covers several items; one item has its own "Generate License" button. */
const COMBINE_MINIMUM = 2;

function EmptyItems() {
  return (
    <div className="empty">
      <p>
        <strong>No purchased items yet</strong>
      </p>
      <p>
        Purchases made with this account&apos;s email address appear here: from the Dynamsoft Store within
        minutes, by purchase order usually within one business day, and from a reseller once the reseller
        records the order.
      </p>
    </div>
  );
}

interface ItemsProps {
  items: LicenseItem[];
  generating: boolean;
  onGenerate: (itemIds: string[]) => void;
}

function PurchasedItems({ items, generating, onGenerate }: ItemsProps) {
  const [checked, setChecked] = useState<ReadonlySet<string>>(new Set());
  const available = items.filter((item) => item.status === 'available');
  // Only items that are still available count (a refresh may have licensed some).
  const selected = available.filter((item) => checked.has(item.itemId)).map((item) => item.itemId);
  const combine = available.length >= COMBINE_MINIMUM;

  const toggle = (itemId: string, on: boolean) =>
    setChecked((last) => {
      const next = new Set(last);
      if (on) next.add(itemId);
      else next.delete(itemId);
      return next;
    });

  const columns: Column[] = [
    ...(combine ? [{ key: 'select', header: 'Select', hiddenHeader: true }] : []),
    ...ITEM_COLUMNS,
    { key: 'status', header: 'Status' },
    { key: 'action', header: 'Action', hiddenHeader: true, stackedLabel: '' },
  ];

  const rowOf = (order: Order, item: LicenseItem) => {
    const describedBy = `sku-${item.itemId} order-${order.purchaseId}`;
    const checkboxId = `select-${item.itemId}`;
    return {
      id: item.itemId,
      cells: {
        ...itemCells(item),
        sku: <code id={`sku-${item.itemId}`}>{item.sku}</code>,
        status: label(itemStatusLabel, item.status),
        select: item.status === 'available' && (
          <span className="check">
            <input
              type="checkbox"
              id={checkboxId}
              checked={checked.has(item.itemId)}
              onChange={(event) => toggle(item.itemId, event.target.checked)}
            />
            <label htmlFor={checkboxId}>
              <span className="visually-hidden">
                Select {item.sku} of order {order.externalRef}
              </span>
            </label>
          </span>
        ),
        action:
          item.status === 'available' ? (
            <button
              type="button"
              className="button button-small"
              aria-describedby={describedBy}
              aria-disabled={generating || undefined}
              onClick={() => !generating && onGenerate([item.itemId])}
            >
              Generate License
            </button>
          ) : item.status === 'licensed' && item.licenseId ? (
            <Link to={`/licenses/${encodeURIComponent(item.licenseId)}`} aria-describedby={describedBy}>
              View license
            </Link>
          ) : null,
      },
    };
  };

  return (
    <>
      {combine && (
        <div className="toolbar">
          <button
            type="button"
            className="button"
            disabled={selected.length < COMBINE_MINIMUM}
            aria-describedby="combine-help"
            aria-disabled={generating || undefined}
            onClick={() => !generating && onGenerate(selected)}
          >
            Generate one License
          </button>
          <p id="combine-help" className="hint" aria-live="polite">
            {selected.length < COMBINE_MINIMUM
              ? `Check two or more available items to generate one license that covers them all (${selected.length} checked). For a single item, use its Generate License button.`
              : `${selected.length} items checked: one license will cover them all.`}
          </p>
        </div>
      )}
      {groupByOrder(items).map((order) => (
        <section key={order.purchaseId} className="order" aria-labelledby={`order-${order.purchaseId}`}>
          <h3 id={`order-${order.purchaseId}`}>Order {order.externalRef}</h3>
          <p className="order-meta">
            {label(channelLabel, order.channel)} · Purchased {formatDate(order.purchasedAt)}
          </p>
          <Table
            caption={`Items of order ${order.externalRef}`}
            columns={columns}
            rows={order.items.map((item) => rowOf(order, item))}
          />
        </section>
      ))}
    </>
  );
}

function LicenseList({ licenses }: { licenses: License[] }) {
  if (licenses.length === 0) {
    return <p className="empty">No licenses yet. Generate one from your purchased items above.</p>;
  }
  return (
    <Table
      caption="Your licenses"
      columns={[
        { key: 'key', header: 'License key' },
        { key: 'status', header: 'Status' },
        { key: 'generated', header: 'Generated' },
      ]}
      rows={licenses.map((license) => ({
        id: license.licenseId,
        cells: {
          key: (
            <Link to={`/licenses/${encodeURIComponent(license.licenseId)}`} className="license-key">
              {license.licenseKey}
            </Link>
          ),
          status: label(licenseStatusLabel, license.status),
          generated: formatDateTime(license.generatedAt),
        },
      }))}
    />
  );
}

/** Licenses → Generate License(s): the purchased items by order, and the licences made from them. */
export function LicensesPage() {
  const navigate = useNavigate();
  const announce = useAnnounce();
  const items = useResource(api.listLicenseItems);
  const licenses = useResource(api.listLicenses);
  const [generating, setGenerating] = useState(false);
  const [generateError, setGenerateError] = useState<string | null>(null);

  const generate = async (itemIds: string[]) => {
    setGenerating(true);
    setGenerateError(null);
    announce(
      itemIds.length > 1 ? `Generating one license for ${itemIds.length} items…` : 'Generating the license…',
    );
    try {
      const license = await api.createLicense(itemIds);
      navigate(`/licenses/${encodeURIComponent(license.licenseId)}`, { state: { license } });
    } catch (error) {
      if (error instanceof SessionEndedError) return;
      setGenerating(false);
      setGenerateError(placeErrors(error, []).form);
      // An item may have changed meanwhile (licensed in another tab, refunded): show it as it is now.
      items.reload();
    }
  };

  const itemState = items.state;
  const licenseState = licenses.state;
  return (
    <Page title="Generate License(s)">
      <p className="lead">
        Your purchased items, by order. Generate a license for an item with its Generate License button, or
        check several items and generate one license that covers them all.
      </p>
      <section aria-labelledby="items-heading" aria-busy={itemState.status === 'loading'} className="block">
        <h2 id="items-heading">Purchased items</h2>
        {generateError && <Alert>{generateError}</Alert>}
        {itemState.status === 'loading' && <Loading>Loading your purchased items…</Loading>}
        {itemState.status === 'error' && <LoadError error={itemState.error} onRetry={items.reload} />}
        {itemState.status === 'ok' &&
          (itemState.data.length === 0 ? (
            <EmptyItems />
          ) : (
            <PurchasedItems items={itemState.data} generating={generating} onGenerate={generate} />
          ))}
      </section>
      <section
        aria-labelledby="licenses-heading"
        aria-busy={licenseState.status === 'loading'}
        className="block"
      >
        <h2 id="licenses-heading">Your licenses</h2>
        {licenseState.status === 'loading' && <Loading>Loading your licenses…</Loading>}
        {licenseState.status === 'error' && (
          <LoadError error={licenseState.error} onRetry={licenses.reload} />
        )}
        {licenseState.status === 'ok' && <LicenseList licenses={licenseState.data} />}
      </section>
    </Page>
  );
}
