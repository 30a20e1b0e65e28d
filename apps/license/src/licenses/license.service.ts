import { randomUUID } from 'node:crypto';
import { type PurchaseAssignedV1, type PurchaseRefundedV1, type TrackingMode } from '@otl/contracts';
import type { EventStore, EventTransaction, NewEvent, Statement, StoredEvent } from '@otl/event-store';
import type { KeyObject } from 'node:crypto';
import { currentCorrelationId } from '@otl/platform';
import type { Pool } from 'pg';
import type { Catalog } from '../catalog/catalog';
import {
  ItemNotAvailableError,
  decideItem,
  evolveItem,
  initialItemState,
  type ItemEvent,
  type ItemState,
} from '../items/item';
import { licenseKeyHash, newLicenseKey } from '../keys/license-key';
import {
  LicenseError,
  decideLicense,
  evolveLicense,
  initialLicenseState,
  type Activation,
  type LicenseEvent,
  type LicenseState,
} from './license';
import { entitlementsOf, signLicenseFile, type LicenseFile } from './license-file';
import {
  itemRow,
  licenseRow,
  upsertItems,
  upsertLicenses,
  type ItemRow,
  type LicenseRow,
} from './read-model';

export const streams = {
  item: (itemId: string) => `license-item-${itemId}`,
  license: (licenseId: string) => `license-${licenseId}`,
  purchase: (purchaseId: string) => `license-purchase-${purchaseId}`,
};

/** Internal events of the purchase stream: which items it has, and a refund held until it has them. */
type PurchaseEvent =
  | { type: 'license.purchase-assigned'; data: { accountId: string; itemIds: string[] } }
  | { type: 'license.purchase-refunded'; data: { refundedAt: string; reason: string | null } };

const itemState = (events: readonly StoredEvent[]) =>
  (events as unknown as ItemEvent[]).reduce(evolveItem, initialItemState);
const licenseState = (events: readonly StoredEvent[]) =>
  (events as unknown as LicenseEvent[]).reduce(evolveLicense, initialLicenseState);

function viewOf(state: LicenseState, licenseKey: string): LicenseView {
  if (state.status === 'none') throw new NotFoundError('licence');
  const { licenseId, status, trackingMode, ltsInstanceId, items, generatedAt, activatedAt } = state;
  return { licenseId, licenseKey, status, trackingMode, ltsInstanceId, items, generatedAt, activatedAt };
}

export class NotFoundError extends Error {
  readonly code = 'not-found';
  constructor(what: string) {
    super(`${what} not found`);
    this.name = 'NotFoundError';
  }
}

export interface LicenseView {
  licenseId: string;
  licenseKey: string;
  status: string;
  trackingMode: TrackingMode | null;
  ltsInstanceId: string | null;
  items: unknown;
  generatedAt: string;
  activatedAt: string | null;
}

export interface ItemView {
  itemId: string;
  purchaseId: string;
  channel: string;
  externalRef: string;
  sku: string;
  product: string | null;
  unit: string | null;
  quantity: number;
  term: string | null;
  purchasedAt: string;
  status: string;
  licenseId: string | null;
}

export interface LicenseServiceOptions {
  store: EventStore;
  pool: Pool;
  catalog: Catalog;
  signingKey: { kid: string; privateKey: KeyObject };
  vendorTrackingUrl: string;
  now?: () => Date;
}

/** A stream's writes: events appended at the version read, with the new state. */
interface Change<S> {
  stream: string;
  version: number;
  events: NewEvent[];
  state: S;
}

/**
 * The license use cases. Generating locks every item stream and the new licence's stream and
 * appends to each at the version it read; the read models are written in the same transaction.
 */
export class LicenseService {
  private readonly now: () => Date;

  constructor(private readonly options: LicenseServiceOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async listItems(accountId: string): Promise<ItemView[]> {
    const { rows } = await this.options.pool.query<ItemRow & { purchased_at: Date }>(
      `SELECT * FROM license_items WHERE account_id = $1 ORDER BY purchased_at DESC, purchase_id, position`,
      [accountId],
    );
    return rows.map((row) => ({
      itemId: row.item_id,
      purchaseId: row.purchase_id,
      channel: row.channel,
      externalRef: row.external_ref,
      sku: row.sku,
      product: row.product,
      unit: row.unit,
      quantity: row.quantity,
      term: row.term,
      purchasedAt: new Date(row.purchased_at).toISOString(),
      status: row.status,
      licenseId: row.license_id,
    }));
  }

  async listLicenses(accountId: string, licenseId?: string): Promise<LicenseView[]> {
    const { rows } = await this.options.pool.query<
      LicenseRow & { license_key: string; generated_at: Date; activated_at: Date | null }
    >(
      `SELECT l.*, k.license_key FROM licenses l JOIN license_keys k USING (license_id)
        WHERE l.account_id = $1 AND ($2::uuid IS NULL OR l.license_id = $2) ORDER BY l.generated_at DESC`,
      [accountId, licenseId ?? null],
    );
    return rows.map((row) => ({
      licenseId: row.license_id,
      licenseKey: row.license_key,
      status: row.status,
      trackingMode: row.tracking_mode as TrackingMode | null,
      ltsInstanceId: row.lts_instance_id,
      items: row.items,
      generatedAt: new Date(row.generated_at).toISOString(),
      activatedAt: row.activated_at ? new Date(row.activated_at).toISOString() : null,
    }));
  }

  async getLicense(accountId: string, licenseId: string): Promise<LicenseView> {
    const [license] = await this.listLicenses(accountId, licenseId);
    if (!license) throw new NotFoundError('licence');
    return license;
  }

  /** One licence over every given item; all must be the caller's and available. */
  async generate(accountId: string, itemIds: readonly string[]): Promise<LicenseView> {
    const licenseId = randomUUID();
    const licenseKey = newLicenseKey();
    const itemStreams = itemIds.map(streams.item);
    const licenseStream = streams.license(licenseId);
    return this.options.store.transaction(
      { lockStreams: [...itemStreams, licenseStream], prefetch: true },
      async (tx) => {
        const now = this.now();
        const changes: Change<ItemState>[] = [];
        const items = [];
        const terms = [];
        for (const itemId of itemIds) {
          const slice = await tx.readStream(streams.item(itemId));
          const state = itemState(slice.events);
          // Someone else's item is exactly as absent as one that does not exist.
          if (state.status === 'unknown' || state.accountId !== accountId)
            throw new NotFoundError(`item ${itemId}`);
          let events: ItemEvent[];
          try {
            events = decideItem({ type: 'LicenseItem', licenseId, now }, state);
          } catch (error) {
            if (error instanceof ItemNotAvailableError) throw new ItemNotAvailableError(itemId, error.status);
            throw error;
          }
          changes.push(this.change(streams.item(itemId), slice.version, state, events, evolveItem));
          const catalog = state.catalog;
          if (!catalog) throw new ItemNotAvailableError(itemId, 'needs-review');
          items.push({
            itemId,
            sku: state.sku,
            product: catalog.product,
            unit: catalog.unit,
            quantity: state.quantity,
            expiresAt: null,
          });
          terms.push({ itemId, term: catalog.term, seatsPerQuantity: catalog.seatsPerQuantity });
        }
        const license = this.change(
          licenseStream,
          0,
          initialLicenseState,
          decideLicense(
            {
              type: 'GenerateLicense',
              licenseId,
              accountId,
              licenseKeyHash: licenseKeyHash(licenseKey),
              items,
              terms,
              now,
            },
            initialLicenseState,
          ),
          evolveLicense,
        );
        await tx.commitWith([
          ...this.writes(tx, changes, [license]),
          {
            text: 'INSERT INTO license_keys (license_id, license_key) VALUES ($1, $2)',
            params: [licenseId, licenseKey],
          },
        ]);
        // Answered from the state just committed: no read-model query after the commit.
        return viewOf(license.state, licenseKey);
      },
    );
  }

  async activate(accountId: string, licenseId: string, activation: Activation): Promise<LicenseView> {
    const stream = streams.license(licenseId);
    // The key is read with the lock and the stream, in BEGIN's round trip.
    const key: Statement = {
      text: 'SELECT license_key FROM license_keys WHERE license_id = $1',
      params: [licenseId],
    };
    return this.options.store.transaction(
      { lockStreams: [stream], prefetch: true, alsoRead: [key] },
      async (tx) => {
        const slice = await tx.readStream(stream);
        const state = licenseState(slice.events);
        if (state.status === 'none' || state.accountId !== accountId) throw new NotFoundError('licence');
        const events = decideLicense({ type: 'ActivateLicense', activation, now: this.now() }, state);
        const change = this.change(stream, slice.version, state, events, evolveLicense);
        await tx.commitWith(this.writes(tx, [], [change]));
        return viewOf(change.state, String(tx.alsoRead[0]?.[0]?.['license_key'] ?? ''));
      },
    );
  }

  /** The signed licence file of an activated licence. */
  async licenseFile(accountId: string, licenseId: string): Promise<LicenseFile> {
    const [slice, keys] = await Promise.all([
      this.options.store.readStream(streams.license(licenseId)),
      this.options.pool.query<{ license_key: string }>(
        'SELECT license_key FROM license_keys WHERE license_id = $1',
        [licenseId],
      ),
    ]);
    const state = licenseState(slice.events);
    if (state.status === 'none' || state.accountId !== accountId) throw new NotFoundError('licence');
    if (state.status === 'revoked') throw new LicenseError('license-revoked', 'This licence was revoked.');
    if (state.status !== 'activated' || !state.trackingMode || !state.activatedAt) {
      throw new LicenseError('license-not-activated', 'Activate the licence before downloading its file.');
    }
    const licenseKey = keys.rows[0]?.license_key;
    if (!licenseKey) throw new Error(`licence ${licenseId} has no key`);
    const terms = new Map(state.terms.map((term) => [term.itemId, term]));
    const entitled = state.items.map((item) => {
      const term = terms.get(item.itemId);
      if (!term) throw new Error(`licence ${licenseId} has no recorded term for item ${item.itemId}`);
      return { ...item, term: term.term, seatsPerQuantity: term.seatsPerQuantity };
    });
    return signLicenseFile(
      {
        licenseId,
        licenseKey,
        accountId,
        trackingMode: state.trackingMode,
        ltsInstanceId: state.ltsInstanceId,
        trackingUrl: state.trackingMode === 'vendor-hosted' ? this.options.vendorTrackingUrl : null,
        entitlements: entitlementsOf(entitled, new Date(state.activatedAt)),
        issuedAt: this.now().toISOString(),
      },
      this.options.signingKey,
    );
  }

  /** Streams the assignment handler locks: its purchase and every item. */
  assignmentStreams(assigned: PurchaseAssignedV1): string[] {
    return [
      streams.purchase(assigned.purchaseId),
      ...assigned.items.map((item) => streams.item(item.itemId)),
    ];
  }

  /** In the inbox transaction: records the items (refunded at once when the refund came first). */
  async onAssigned(tx: EventTransaction, assigned: PurchaseAssignedV1): Promise<(Statement | null)[]> {
    const purchaseStream = streams.purchase(assigned.purchaseId);
    const purchase = await tx.readStream(purchaseStream);
    const history = purchase.events as unknown as PurchaseEvent[];
    if (history.some((event) => event.type === 'license.purchase-assigned')) return [];
    const refund = history.find((event) => event.type === 'license.purchase-refunded');
    const now = this.now();
    const changes: Change<ItemState>[] = [];
    for (const [position, item] of assigned.items.entries()) {
      const slice = await tx.readStream(streams.item(item.itemId));
      let state = itemState(slice.events);
      const catalog = this.options.catalog.find(item.sku) ?? null;
      const events = decideItem(
        {
          type: 'RecordItem',
          item: {
            itemId: item.itemId,
            purchaseId: assigned.purchaseId,
            accountId: assigned.accountId,
            channel: assigned.channel,
            externalRef: assigned.externalRef,
            sku: item.sku,
            quantity: item.quantity,
            position,
            catalog,
            catalogVersion: this.options.catalog.version,
            purchasedAt: assigned.assignedAt,
          },
        },
        state,
      );
      state = events.reduce(evolveItem, state);
      if (refund) events.push(...decideItem({ type: 'RefundItem', now }, state));
      changes.push(
        this.change(streams.item(item.itemId), slice.version, itemState(slice.events), events, evolveItem),
      );
    }
    const purchaseChange: Change<null> = {
      stream: purchaseStream,
      version: purchase.version,
      events: [
        {
          type: 'license.purchase-assigned',
          data: { accountId: assigned.accountId, itemIds: assigned.items.map((item) => item.itemId) },
        },
      ],
      state: null,
    };
    return this.writes(tx, changes, [], [purchaseChange]);
  }

  /** In the inbox transaction: refunds the items and revokes the licences holding them, or holds the refund. */
  async onRefunded(tx: EventTransaction, refunded: PurchaseRefundedV1): Promise<(Statement | null)[]> {
    const purchaseStream = streams.purchase(refunded.purchaseId);
    const purchase = await tx.readStream(purchaseStream);
    const history = purchase.events as unknown as PurchaseEvent[];
    if (history.some((event) => event.type === 'license.purchase-refunded')) return [];
    const purchaseChange: Change<null> = {
      stream: purchaseStream,
      version: purchase.version,
      events: [
        {
          type: 'license.purchase-refunded',
          data: { refundedAt: refunded.refundedAt, reason: refunded.reason },
        },
      ],
      state: null,
    };
    const assigned = history.find((event) => event.type === 'license.purchase-assigned');
    if (!assigned || assigned.type !== 'license.purchase-assigned')
      return this.writes(tx, [], [], [purchaseChange]);

    const now = this.now();
    const itemStreams = assigned.data.itemIds.map(streams.item);
    // Purchase, then its items, then their licences: every two-step locker keeps this order.
    await tx.lockStreams(itemStreams, { read: itemStreams });
    const itemChanges: Change<ItemState>[] = [];
    const licenseIds = new Set<string>();
    for (const stream of itemStreams) {
      const slice = await tx.readStream(stream);
      const state = itemState(slice.events);
      if (state.status !== 'unknown' && state.licenseId) licenseIds.add(state.licenseId);
      itemChanges.push(
        this.change(stream, slice.version, state, decideItem({ type: 'RefundItem', now }, state), evolveItem),
      );
    }
    const licenseStreams = [...licenseIds].map(streams.license);
    await tx.lockStreams(licenseStreams, { read: licenseStreams });
    const licenseChanges: Change<LicenseState>[] = [];
    for (const stream of licenseStreams) {
      const slice = await tx.readStream(stream);
      const state = licenseState(slice.events);
      const events = decideLicense({ type: 'RevokeLicense', reason: 'refund', now }, state);
      licenseChanges.push(this.change(stream, slice.version, state, events, evolveLicense));
    }
    return this.writes(tx, itemChanges, licenseChanges, [purchaseChange]);
  }

  private change<S, E extends { type: string; data: unknown }>(
    stream: string,
    version: number,
    before: S,
    events: E[],
    evolve: (state: S, event: E) => S,
  ): Change<S> {
    const subject = stream.startsWith('license-item-') ? undefined : stream.replace(/^license-/, '');
    const correlationId = currentCorrelationId();
    return {
      stream,
      version,
      events: events.map((event) => ({
        type: event.type,
        data: event.data,
        metadata: { subject, correlationId },
      })),
      state: events.reduce(evolve, before),
    };
  }

  /** Appends and read-model upserts, to send with COMMIT. */
  private writes(
    tx: EventTransaction,
    items: readonly Change<ItemState>[],
    licenses: readonly Change<LicenseState>[],
    others: readonly Change<unknown>[] = [],
  ): (Statement | null)[] {
    const touched = [...items, ...licenses, ...others].filter((change) => change.events.length > 0);
    return [
      ...touched.map((change) => tx.appendStatement(change.stream, change.version, change.events)),
      upsertItems(items.filter((c) => c.events.length > 0).flatMap((c) => itemRow(c.state) ?? [])),
      upsertLicenses(licenses.filter((c) => c.events.length > 0).flatMap((c) => licenseRow(c.state) ?? [])),
    ];
  }
}
