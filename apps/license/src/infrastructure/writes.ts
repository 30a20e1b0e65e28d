import { isPublicEventType, subjectFieldOf } from '@otl/contracts';
import type { EventTransaction, NewEvent, Statement, StoredEvent } from '@otl/event-store';
import { currentCorrelationId } from '@otl/platform';
import { evolveItem, initialItemState, type ItemEvent, type ItemState } from '../items/domain/item';
import {
  evolveLicense,
  initialLicenseState,
  type LicenseEvent,
  type LicenseState,
} from '../licenses/domain/license';
import { itemRow, licenseRow, upsertItems, upsertLicenses } from '../licenses/read-model';

/** A stream's writes: events to append at the version read, and the state they lead to. */
export interface Change<S> {
  stream: string;
  version: number;
  events: NewEvent[];
  state: S;
}

export const itemState = (events: readonly StoredEvent[]): ItemState =>
  (events as unknown as ItemEvent[]).reduce(evolveItem, initialItemState);
export const licenseState = (events: readonly StoredEvent[]): LicenseState =>
  (events as unknown as LicenseEvent[]).reduce(evolveLicense, initialLicenseState);

/**
 * The change a decision makes to a stream. A public event's subject is its data's aggregate id
 * (the contract's `subjectFieldOf`); internal events stay in the store and need none.
 */
export function change<S, E extends { type: string; data: object }>(
  stream: string,
  version: number,
  before: S,
  events: readonly E[],
  evolve: (state: S, event: E) => S,
): Change<S> {
  const correlationId = currentCorrelationId();
  return {
    stream,
    version,
    events: events.map((event) => {
      const subject = isPublicEventType(event.type)
        ? String((event.data as Record<string, unknown>)[subjectFieldOf[event.type]])
        : undefined;
      return { type: event.type, data: event.data, metadata: { subject, correlationId } };
    }),
    state: events.reduce(evolve, before),
  };
}

/** The appends and read-model upserts of a use case's changes, to send with COMMIT. */
export function writes(
  tx: EventTransaction,
  changes: {
    items?: readonly Change<ItemState>[];
    licenses?: readonly Change<LicenseState>[];
    others?: readonly Change<unknown>[];
  },
): (Statement | null)[] {
  const changed = <S>(list: readonly Change<S>[] = []) => list.filter((c) => c.events.length > 0);
  const items = changed(changes.items);
  const licenses = changed(changes.licenses);
  return [
    ...[...items, ...licenses, ...changed(changes.others)].map((c) =>
      tx.appendStatement(c.stream, c.version, c.events),
    ),
    upsertItems(items.flatMap((c) => itemRow(c.state) ?? [])),
    upsertLicenses(licenses.flatMap((c) => licenseRow(c.state) ?? [])),
  ];
}
