import type { TrackingMode } from '@otl/contracts';
import type { Pool } from 'pg';
import { NotFoundError } from '../not-found';
import type { LicenseState } from './domain/license';
import type { LicenseRow } from './read-model';

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

/** A licence as the portal shows it, from its state (say, the one just committed). */
export function viewOf(state: LicenseState, licenseKey: string): LicenseView {
  if (state.status === 'none') throw new NotFoundError('licence');
  const { licenseId, status, trackingMode, ltsInstanceId, items, generatedAt, activatedAt } = state;
  return { licenseId, licenseKey, status, trackingMode, ltsInstanceId, items, generatedAt, activatedAt };
}

/** The customer's licences, from the read model (keys joined from their own table). */
export class LicenseQueries {
  constructor(private readonly pool: Pool) {}

  async listLicenses(accountId: string, licenseId?: string): Promise<LicenseView[]> {
    const { rows } = await this.pool.query<
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
}
