import type { Channel, ItemStatus, LicenseStatus, TrackingMode } from './api';

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
