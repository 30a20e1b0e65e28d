import { randomUUID } from 'node:crypto';
import type { EventStore, Statement } from '@otl/event-store';
import type { Clock } from '@otl/platform';
import { change, itemState, licenseState, writes, type Change } from '../infrastructure/writes';
import {
  ItemNotAvailableError,
  decideItem,
  evolveItem,
  type ItemEvent,
  type ItemState,
} from '../items/domain/item';
import { licenseKeyHash, newLicenseKey } from '@otl/licensing';
import { NotFoundError } from '../not-found';
import { streams } from '../streams';
import { decideLicense, evolveLicense, initialLicenseState, type Activation } from './domain/license';
import { viewOf, type LicenseView } from './license-queries';

/**
 * Generating and activating licences. Generating locks every item stream and the new licence's
 * stream and appends to each at the version it read (of two requests for one item exactly one
 * commits); the read models are written in the same transaction.
 */
export class LicensingService {
  constructor(
    private readonly store: EventStore,
    private readonly now: Clock,
  ) {}

  /** One licence over every given item; all must be the caller's and available. */
  async generate(accountId: string, itemIds: readonly string[]): Promise<LicenseView> {
    const licenseId = randomUUID();
    const licenseKey = newLicenseKey();
    const licenseStream = streams.license(licenseId);
    return this.store.transaction(
      { lockStreams: [...itemIds.map(streams.item), licenseStream], prefetch: true },
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
          changes.push(change(streams.item(itemId), slice.version, state, events, evolveItem));
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
        const command = {
          type: 'GenerateLicense' as const,
          licenseId,
          accountId,
          licenseKeyHash: licenseKeyHash(licenseKey),
          items,
          terms,
          now,
        };
        const license = change(
          licenseStream,
          0,
          initialLicenseState,
          decideLicense(command, initialLicenseState),
          evolveLicense,
        );
        await tx.commitWith([
          ...writes(tx, { items: changes, licenses: [license] }),
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
    return this.store.transaction({ lockStreams: [stream], prefetch: true, alsoRead: [key] }, async (tx) => {
      const slice = await tx.readStream(stream);
      const state = licenseState(slice.events);
      if (state.status === 'none' || state.accountId !== accountId) throw new NotFoundError('licence');
      const events = decideLicense({ type: 'ActivateLicense', activation, now: this.now() }, state);
      const activated = change(stream, slice.version, state, events, evolveLicense);
      await tx.commitWith(writes(tx, { licenses: [activated] }));
      return viewOf(activated.state, String(tx.alsoRead[0]?.[0]?.['license_key'] ?? ''));
    });
  }
}
