import type {
  Entitlement,
  LicenseActivatedV1,
  LicenseGeneratedV1,
  LicenseRevokedV1,
  LicensedItem,
  TrackingMode,
} from '@otl/contracts';
import type { Term } from '../../catalog/domain/catalog-entry';
import { entitlementsOf, type EntitledItem } from './entitlements';

/** A licence over one or more items, as a pure decider. Activation is irreversible. */

/** Internal, appended with `license.generated.v1`: what each item's catalog entry said. */
export interface LicenseTermsRecorded {
  items: { itemId: string; term: Term; seatsPerQuantity: number }[];
}

export type LicenseEvent =
  | { type: 'license.generated.v1'; data: LicenseGeneratedV1 }
  | { type: 'license.terms-recorded'; data: LicenseTermsRecorded }
  | { type: 'license.activated.v1'; data: LicenseActivatedV1 }
  | { type: 'license.revoked.v1'; data: LicenseRevokedV1 };

export type LicenseStatus = 'generated' | 'activated' | 'revoked';

export type LicenseState =
  | { status: 'none' }
  | {
      status: LicenseStatus;
      licenseId: string;
      accountId: string;
      licenseKeyHash: string;
      items: LicensedItem[];
      terms: LicenseTermsRecorded['items'];
      generatedAt: string;
      trackingMode: TrackingMode | null;
      ltsInstanceId: string | null;
      /** Fixed at activation; empty before. */
      entitlements: Entitlement[];
      activatedAt: string | null;
      revokedAt: string | null;
    };

export const initialLicenseState: LicenseState = { status: 'none' };

export function evolveLicense(state: LicenseState, event: LicenseEvent): LicenseState {
  switch (event.type) {
    case 'license.generated.v1':
      return {
        status: 'generated',
        ...event.data,
        terms: [],
        trackingMode: null,
        ltsInstanceId: null,
        entitlements: [],
        activatedAt: null,
        revokedAt: null,
      };
    case 'license.terms-recorded':
      return state.status === 'none' ? state : { ...state, terms: event.data.items };
    case 'license.activated.v1':
      return state.status === 'none'
        ? state
        : {
            ...state,
            status: state.status === 'revoked' ? 'revoked' : 'activated',
            trackingMode: event.data.trackingMode,
            ltsInstanceId: event.data.ltsInstanceId,
            entitlements: event.data.entitlements,
            activatedAt: event.data.activatedAt,
          };
    case 'license.revoked.v1':
      return state.status === 'none'
        ? state
        : { ...state, status: 'revoked', revokedAt: event.data.revokedAt };
  }
}

export type Activation =
  { trackingMode: 'vendor-hosted' } | { trackingMode: 'self-hosted'; ltsInstanceId: string };

export type LicenseCommand =
  | {
      type: 'GenerateLicense';
      licenseId: string;
      accountId: string;
      licenseKeyHash: string;
      items: LicensedItem[];
      terms: LicenseTermsRecorded['items'];
      now: Date;
    }
  | { type: 'ActivateLicense'; activation: Activation; now: Date }
  | { type: 'RevokeLicense'; reason: string; now: Date };

export type LicenseErrorCode =
  'license-not-found' | 'activation-conflict' | 'license-revoked' | 'license-not-activated';

export class LicenseError extends Error {
  constructor(
    readonly code: LicenseErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LicenseError';
  }
}

export function decideLicense(command: LicenseCommand, state: LicenseState): LicenseEvent[] {
  switch (command.type) {
    case 'GenerateLicense': {
      if (state.status !== 'none') return [];
      const { licenseId, accountId, licenseKeyHash, items, terms, now } = command;
      return [
        {
          type: 'license.generated.v1',
          data: { licenseId, accountId, licenseKeyHash, items, generatedAt: now.toISOString() },
        },
        { type: 'license.terms-recorded', data: { items: terms } },
      ];
    }
    case 'ActivateLicense': {
      if (state.status === 'none') throw new LicenseError('license-not-found', 'No such licence.');
      if (state.status === 'revoked') throw new LicenseError('license-revoked', 'This licence was revoked.');
      const wanted = command.activation;
      const ltsInstanceId = wanted.trackingMode === 'self-hosted' ? wanted.ltsInstanceId : null;
      if (state.status === 'activated') {
        if (state.trackingMode === wanted.trackingMode && state.ltsInstanceId === ltsInstanceId) return [];
        throw new LicenseError(
          'activation-conflict',
          `This licence is already activated (${state.trackingMode}${state.ltsInstanceId ? `, LTS ${state.ltsInstanceId}` : ''}); activation cannot change.`,
        );
      }
      return [
        {
          type: 'license.activated.v1',
          data: {
            licenseId: state.licenseId,
            accountId: state.accountId,
            trackingMode: wanted.trackingMode,
            ltsInstanceId,
            entitlements: entitlementsOf(entitledItems(state), command.now),
            activatedAt: command.now.toISOString(),
          },
        },
      ];
    }
    case 'RevokeLicense':
      if (state.status === 'none' || state.status === 'revoked') return [];
      return [
        {
          type: 'license.revoked.v1',
          data: {
            licenseId: state.licenseId,
            accountId: state.accountId,
            reason: command.reason,
            revokedAt: command.now.toISOString(),
          },
        },
      ];
  }
}

/** The licence's items with the catalog terms recorded when it was generated. */
function entitledItems(state: Extract<LicenseState, { licenseId: string }>): EntitledItem[] {
  const terms = new Map(state.terms.map((term) => [term.itemId, term]));
  return state.items.map((item) => {
    const term = terms.get(item.itemId);
    if (!term) throw new Error(`licence ${state.licenseId} has no recorded term for item ${item.itemId}`);
    return { ...item, term: term.term, seatsPerQuantity: term.seatsPerQuantity };
  });
}
