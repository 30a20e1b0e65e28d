/**
 * The portal server's JSON API (same origin, cookie session, RFC 9457 problem details on errors).
 * Every call goes through `request`, which sends JSON, turns an error answer into a ProblemError and a
 * failed connection into a NetworkError, and reports a 401 from an authenticated route to the session
 * (which sends the person to the sign-in page).
 */

export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: FieldError[];
}

/** The server answered with an error status. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.name = 'ProblemError';
  }

  /** The last segment of the problem's `type`, e.g. `email-not-verified`. */
  get slug(): string {
    return this.problem.type?.split('/').pop() ?? '';
  }
}

/** The request never got an answer (offline, server down, connection cut). */
export class NetworkError extends Error {
  constructor() {
    super('network');
    this.name = 'NetworkError';
  }
}

/** A 401 on an authenticated route: the session is over and the sign-in page is on its way. */
export class SessionEndedError extends Error {
  constructor() {
    super('session ended');
    this.name = 'SessionEndedError';
  }
}

export const NETWORK_MESSAGE = 'We could not reach the portal. Check your connection and try again.';

/** What to tell the person about a failed call (the problem's detail, in words). */
export function describeError(error: unknown): string {
  if (error instanceof NetworkError) return NETWORK_MESSAGE;
  if (error instanceof ProblemError) {
    const text =
      error.problem.detail ??
      error.problem.title ??
      `The portal answered with an error (HTTP ${error.status}).`;
    if (error.retryAfterSeconds === null) return text;
    return `${text} Please wait ${error.retryAfterSeconds} seconds before trying again.`;
  }
  return 'Something went wrong. Please try again.';
}

type UnauthorizedHandler = () => void;
let onUnauthorized: UnauthorizedHandler = () => undefined;

/** The session registers what to do when an authenticated call answers 401. */
export function setUnauthorizedHandler(handler: UnauthorizedHandler): void {
  onUnauthorized = handler;
}

interface RequestOptions {
  body?: unknown;
  /** false for calls where 401 is an ordinary answer (signing in, reading the session). */
  authenticated?: boolean;
}

async function readProblem(response: Response): Promise<Problem> {
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('json')) return { status: response.status };
  try {
    const body: unknown = await response.json();
    return typeof body === 'object' && body !== null ? (body as Problem) : { status: response.status };
  } catch {
    return { status: response.status };
  }
}

function retryAfter(response: Response): number | null {
  const value = response.headers.get('retry-after');
  if (value === null || !/^\d+$/.test(value.trim())) return null;
  return Number(value);
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new NetworkError();
  }
  if (response.status === 401 && options.authenticated !== false) {
    onUnauthorized();
    throw new SessionEndedError();
  }
  if (!response.ok)
    throw new ProblemError(response.status, await readProblem(response), retryAfter(response));
  if (response.status === 204 || response.status === 202) {
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }
  return (await response.json()) as T;
}

// ---- The resources ----

export type StaffRole = 'sales-rep' | 'sales-manager';

export interface Session {
  accountId: string;
  email: string;
  name: string | null;
  company: string | null;
  /** Staff roles; empty for a customer. */
  roles: StaffRole[];
}

// ---- The sales desk (staff only): po-intake's purchase orders ----

export type PurchaseOrderStatus = 'received' | 'approved' | 'rejected' | 'refunded';

export interface StaffRef {
  accountId: string;
  email: string;
}

export interface PurchaseOrderSummary {
  purchaseOrderId: string;
  poNumber: string;
  status: PurchaseOrderStatus;
  customer: { email: string; name: string; company: string | null };
  currency: string;
  total: string;
  receivedAt: string;
  dueBy: string;
  overdue: boolean;
  submittedBy: StaffRef;
}

export interface PurchaseOrderHistoryEntry {
  action: 'submitted' | 'approved' | 'rejected' | 'refunded';
  by: StaffRef;
  at: string;
  reason: string | null;
}

export interface PurchaseOrder extends PurchaseOrderSummary {
  items: { sku: string; quantity: number; unitPrice: string }[];
  document: { filename: string; contentType: string; size: number; sha256: string };
  purchaseId: string | null;
  decidedAt: string | null;
  rejectionReason: string | null;
  refundReason: string | null;
  resubmissionOf: string | null;
  history: PurchaseOrderHistoryEntry[];
}

export interface PurchaseOrderPage {
  purchaseOrders: PurchaseOrderSummary[];
  nextCursor: string | null;
}

export interface QueueFilter {
  /** null: every status. */
  status: PurchaseOrderStatus | null;
  overdue: boolean;
  cursor: string | null;
}

export type Channel = 'store' | 'purchase-order' | 'reseller';
export type ItemStatus = 'available' | 'licensed' | 'refunded' | 'needs-review';

export interface LicenseItem {
  itemId: string;
  purchaseId: string;
  channel: Channel;
  externalRef: string;
  sku: string;
  product: string | null;
  unit: string | null;
  quantity: number;
  term: string | null;
  purchasedAt: string;
  status: ItemStatus;
  licenseId: string | null;
}

/** An item as a licence holds it (the licence API may leave out the order's fields). */
export interface LicensedItem {
  itemId: string;
  sku: string;
  product: string | null;
  unit: string | null;
  quantity: number;
  term?: string | null;
  expiresAt?: string | null;
}

export type LicenseStatus = 'generated' | 'activated' | 'revoked';
export type TrackingMode = 'vendor-hosted' | 'self-hosted';

export interface License {
  licenseId: string;
  licenseKey: string;
  status: LicenseStatus;
  trackingMode: TrackingMode | null;
  ltsInstanceId: string | null;
  items: LicensedItem[];
  generatedAt: string;
  activatedAt: string | null;
}

export interface UsageHour {
  hour: string;
  peakSeatsInUse: number;
  denied: number;
}

export interface ProductUsage {
  product: string;
  unit: string;
  seatsTotal: number;
  seatsInUse: number;
  history: UsageHour[];
}

export interface Usage {
  licenseId: string;
  trackingMode: TrackingMode;
  products: ProductUsage[] | null;
}

export type Activation =
  { trackingMode: 'vendor-hosted' } | { trackingMode: 'self-hosted'; ltsInstanceId: string };

const id = (value: string) => encodeURIComponent(value);
const DESK = '/v1/desk/purchase-orders';

export const api = {
  /**
   * The signed-in account; null when signed out; 'ended' when the browser's session has ended since
   * (signed out elsewhere, expired, revoked), so the sign-in page can say why.
   */
  async getSession(): Promise<Session | null | 'ended'> {
    try {
      return await request<Session>('GET', '/v1/session', { authenticated: false });
    } catch (error) {
      if (error instanceof ProblemError && error.status === 401) {
        return error.slug === 'session-ended' ? 'ended' : null;
      }
      throw error;
    }
  },
  signIn: (email: string, password: string) =>
    request<Session>('POST', '/v1/session', { body: { email, password }, authenticated: false }),
  signOut: () => request<void>('DELETE', '/v1/session', { authenticated: false }),
  signUp: (body: { email: string; password: string; name: string; company?: string }) =>
    request<{ status: string }>('POST', '/v1/accounts', { body, authenticated: false }),
  verifyEmail: (token: string) =>
    request<void>('POST', '/v1/accounts/verification', { body: { token }, authenticated: false }),
  requestPasswordReset: (email: string) =>
    request<void>('POST', '/v1/password-reset', { body: { email }, authenticated: false }),
  confirmPasswordReset: (token: string, password: string) =>
    request<void>('POST', '/v1/password-reset/confirm', { body: { token, password }, authenticated: false }),
  listLicenseItems: () => request<LicenseItem[]>('GET', '/v1/license-items'),
  createLicense: (itemIds: string[]) => request<License>('POST', '/v1/licenses', { body: { itemIds } }),
  listLicenses: () => request<License[]>('GET', '/v1/licenses'),
  getLicense: (licenseId: string) => request<License>('GET', `/v1/licenses/${id(licenseId)}`),
  activateLicense: (licenseId: string, activation: Activation) =>
    request<License>('POST', `/v1/licenses/${id(licenseId)}/activation`, { body: activation }),
  getUsage: (licenseId: string) => request<Usage>('GET', `/v1/usage/licenses/${id(licenseId)}`),
  listPurchaseOrders: (filter: QueueFilter) => {
    const search = new URLSearchParams();
    if (filter.status) search.set('status', filter.status);
    if (filter.overdue) search.set('overdue', 'true');
    if (filter.cursor) search.set('cursor', filter.cursor);
    const query = search.size > 0 ? `?${search.toString()}` : '';
    return request<PurchaseOrderPage>('GET', `${DESK}${query}`);
  },
  getPurchaseOrder: (purchaseOrderId: string) =>
    request<PurchaseOrder>('GET', `${DESK}/${id(purchaseOrderId)}`),
  approvePurchaseOrder: (purchaseOrderId: string) =>
    request<PurchaseOrder>('POST', `${DESK}/${id(purchaseOrderId)}/approval`),
  rejectPurchaseOrder: (purchaseOrderId: string, reason: string) =>
    request<PurchaseOrder>('POST', `${DESK}/${id(purchaseOrderId)}/rejection`, { body: { reason } }),
  refundPurchaseOrder: (purchaseOrderId: string, reason: string) =>
    request<PurchaseOrder>('POST', `${DESK}/${id(purchaseOrderId)}/refund`, { body: { reason } }),
};

/** The document as the page shows it (inline), or as a download. */
export const purchaseOrderDocumentUrl = (purchaseOrderId: string, download = false) =>
  `${DESK}/${id(purchaseOrderId)}/document${download ? '?download=1' : ''}`;

export const licenseFileUrl = (licenseId: string) => `/v1/licenses/${id(licenseId)}/file`;
