import type {
  Channel,
  ItemStatus,
  LicenseStatus,
  PurchaseOrderHistoryEntry,
  PurchaseOrderStatus,
  TrackingMode,
} from './api';

/** The API's codes in the words a person reads. */

export const channelLabel: Record<Channel, string> = {
  store: 'Store',
  'purchase-order': 'Purchase order',
  reseller: 'Reseller',
};

export const itemStatusLabel: Record<ItemStatus, string> = {
  available: 'Available',
  licensed: 'Licensed',
  refunded: 'Refunded',
  'needs-review': 'Needs review',
};

export const licenseStatusLabel: Record<LicenseStatus, string> = {
  generated: 'Generated, not activated',
  activated: 'Activated',
  revoked: 'Revoked',
};

export const trackingLabel: Record<TrackingMode, string> = {
  'vendor-hosted': 'Dynamsoft-hosting',
  'self-hosted': 'Self-hosting',
};

/** Codes the portal does not know yet are shown as the API gives them. */
export const label = <K extends string>(labels: Record<K, string>, code: string): string =>
  (labels as Record<string, string>)[code] ?? code;

export function termLabel(term: string | null | undefined): string {
  if (term === '1y') return '1 year';
  if (term === 'perpetual') return 'Perpetual';
  return term ?? 'Unknown';
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function parse(iso: string): Date | null {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

export const formatDate = (iso: string) => {
  const date = parse(iso);
  return date ? dateFormat.format(date) : iso;
};

export const formatDateTime = (iso: string) => {
  const date = parse(iso);
  return date ? dateTimeFormat.format(date) : iso;
};

export const purchaseOrderStatusLabel: Record<PurchaseOrderStatus, string> = {
  received: 'Received, awaiting decision',
  approved: 'Approved',
  rejected: 'Rejected',
  refunded: 'Refunded',
};

export const historyActionLabel: Record<PurchaseOrderHistoryEntry['action'], string> = {
  submitted: 'Submitted',
  approved: 'Approved',
  rejected: 'Rejected',
  refunded: 'Refunded',
};

/** A decimal string amount in its currency ("2498.00", "USD" → "$2,498.00"); as given if unknown. */
export function formatMoney(amount: string, currency: string): string {
  const value = Number(amount);
  if (!Number.isFinite(value)) return `${amount} ${currency}`;
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(value);
  } catch {
    return `${amount} ${currency}`;
  }
}

export function formatBytes(size: number): string {
  if (size < 1024) return `${size} bytes`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / (1024 * 1024)).toFixed(1)} MB`;
}
