import type { KeyObject } from 'node:crypto';
import type { EventStore } from '@otl/event-store';
import type { Clock } from '@otl/platform';
import type { Pool } from 'pg';
import { licenseState } from '../infrastructure/writes';
import { NotFoundError } from '../not-found';
import { streams } from '../streams';
import { LicenseError } from './domain/license';
import { signLicenseFile, type LicenseFile } from '@otl/licensing';

export interface LicenseFilesOptions {
  store: EventStore;
  pool: Pool;
  signingKey: { kid: string; privateKey: KeyObject };
  /** Where vendor-hosted licences report usage (the hosted LTS). */
  vendorTrackingUrl: string;
  now: Clock;
}

/** Signed licence files of activated licences, assembled from the licence's own stream. */
export class LicenseFiles {
  constructor(private readonly options: LicenseFilesOptions) {}

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
    return signLicenseFile(
      {
        licenseId,
        licenseKey,
        accountId,
        trackingMode: state.trackingMode,
        ltsInstanceId: state.ltsInstanceId,
        trackingUrl: state.trackingMode === 'vendor-hosted' ? this.options.vendorTrackingUrl : null,
        // As activation fixed them (license.activated.v1 carries the same list).
        entitlements: state.entitlements,
        issuedAt: this.options.now().toISOString(),
      },
      this.options.signingKey,
    );
  }
}
