import { createHash } from 'node:crypto';
import type { Entitlement } from '@otl/contracts';
import { licenseKeyHash, parseLicenseKey } from '@otl/licensing';
import { leasable, productsOf, seatEndsAt, type TrackedLicense } from '../leases/domain/lease';
import type { Sqlite } from './database';
import { refuseFile, type VerifiedLicenseFile } from './license-file-checks';

/** What a server keeps of a licence file: never the key itself. */
export interface StoredLicense extends TrackedLicense {
  licenseKeyHash: string;
  issuedAt: string;
  kid: string;
  loadedAt: string;
}

export type LoadOutcome = 'loaded' | 'renewed' | 'unchanged';

interface LicenseRow {
  license_id: string;
  license_key_hash: string;
  account_id: string;
  lts_instance_id: string;
  entitlements: string;
  issued_at: string;
  kid: string;
  payload_sha256: string;
  loaded_at: string;
}

function fromRow(row: LicenseRow): StoredLicense {
  return {
    licenseId: row.license_id,
    accountId: row.account_id,
    status: 'activated',
    trackingMode: 'self-hosted',
    ltsInstanceId: row.lts_instance_id,
    entitlements: JSON.parse(row.entitlements) as Entitlement[],
    licenseKeyHash: row.license_key_hash,
    issuedAt: row.issued_at,
    kid: row.kid,
    loadedAt: row.loaded_at,
  };
}

/** The licences this server was given, from verified licence files. */
export class SelfHostedLicenses {
  private readonly byHash;
  private readonly byId;

  constructor(private readonly db: Sqlite) {
    this.byHash = db.prepare<[string], LicenseRow>('SELECT * FROM licenses WHERE license_key_hash = ?');
    this.byId = db.prepare<[string], LicenseRow>('SELECT * FROM licenses WHERE license_id = ?');
  }

  findByKeyHash(keyHash: string): StoredLicense | undefined {
    const row = this.byHash.get(keyHash);
    return row && fromRow(row);
  }

  list(): StoredLicense[] {
    return this.db
      .prepare<[], LicenseRow>('SELECT * FROM licenses ORDER BY loaded_at, license_id')
      .all()
      .map(fromRow);
  }

  /**
   * Keeps a verified file's licence: new, or a renewal (a later issuedAt) replacing the one loaded,
   * whose live leases then run under the new terms (ended at once for a product no longer licensed).
   * The same file again changes nothing; an earlier one is refused (409 license-file-outdated).
   */
  load(file: VerifiedLicenseFile, now: Date): { outcome: LoadOutcome; license: StoredLicense } {
    const { payload } = file;
    const keyHash = licenseKeyHash(parseLicenseKey(payload.licenseKey) ?? payload.licenseKey);
    const digest = createHash('sha256').update(file.signedPayload).digest('hex');
    return this.db
      .transaction((): { outcome: LoadOutcome; license: StoredLicense } => {
        const loaded = this.byId.get(payload.licenseId);
        const sameKey = this.byHash.get(keyHash);
        if (sameKey && sameKey.license_id !== payload.licenseId) {
          throw refuseFile(
            'license-file-malformed',
            `The file's licence key already belongs to licence ${sameKey.license_id} on this server.`,
          );
        }
        if (loaded) {
          const order = Date.parse(payload.issuedAt) - Date.parse(loaded.issued_at);
          if (order === 0 && loaded.payload_sha256 === digest)
            return { outcome: 'unchanged', license: fromRow(loaded) };
          if (order <= 0) {
            throw refuseFile(
              'license-file-outdated',
              `A licence file issued ${loaded.issued_at} is loaded for this licence; this one was issued ` +
                `${payload.issuedAt}. Only a newer file replaces it.`,
              { loadedIssuedAt: loaded.issued_at, fileIssuedAt: payload.issuedAt },
            );
          }
        }
        const row: LicenseRow = {
          license_id: payload.licenseId,
          license_key_hash: keyHash,
          account_id: payload.accountId,
          lts_instance_id: payload.ltsInstanceId ?? '',
          entitlements: JSON.stringify(payload.entitlements),
          issued_at: payload.issuedAt,
          kid: file.kid,
          payload_sha256: digest,
          loaded_at: now.toISOString(),
        };
        this.db
          .prepare(
            `INSERT INTO licenses (license_id, license_key_hash, account_id, lts_instance_id, entitlements,
               issued_at, kid, payload_sha256, loaded_at)
             VALUES (@license_id, @license_key_hash, @account_id, @lts_instance_id, @entitlements,
               @issued_at, @kid, @payload_sha256, @loaded_at)
             ON CONFLICT (license_id) DO UPDATE SET license_key_hash = excluded.license_key_hash,
               account_id = excluded.account_id, lts_instance_id = excluded.lts_instance_id,
               entitlements = excluded.entitlements, issued_at = excluded.issued_at, kid = excluded.kid,
               payload_sha256 = excluded.payload_sha256, loaded_at = excluded.loaded_at`,
          )
          .run(row);
        const license = fromRow(row);
        if (loaded) this.retermLeases(license, now);
        return { outcome: loaded ? 'renewed' : 'loaded', license };
      })
      .immediate();
  }

  /**
   * After a renewal: each live lease's term follows the new entitlements of its product, seat by seat
   * in order of acquisition (seatEndsAt). Leases beyond the seats the new file grants end now.
   */
  private retermLeases(license: StoredLicense, now: Date): void {
    const nowMs = now.getTime();
    const live = this.db
      .prepare<[string, number], { lease_id: string; product: string }>(
        `SELECT lease_id, product FROM leases WHERE license_id = ? AND status = 'active' AND expires_at > ?
         ORDER BY acquired_at, lease_id`,
      )
      .all(license.licenseId, nowMs);
    const end = this.db.prepare("UPDATE leases SET status = 'expired', ended_at = ? WHERE lease_id = ?");
    const reterm = this.db.prepare(
      'UPDATE leases SET term_ends_at = @term, expires_at = MIN(expires_at, COALESCE(@term, expires_at)) WHERE lease_id = @id',
    );
    for (const product of new Set(live.map((row) => row.product))) {
      let seatsTotal = 0;
      try {
        if (productsOf(license).includes(product)) {
          seatsTotal = leasable(license, product, 'self-hosted', now).seatsTotal;
        }
      } catch {
        seatsTotal = 0; // the product's term has ended under the new file
      }
      live
        .filter((row) => row.product === product)
        .forEach((row, index) => {
          if (index >= seatsTotal) {
            end.run(nowMs, row.lease_id);
            return;
          }
          const term = seatEndsAt(license, product, index + 1, now)?.getTime() ?? null;
          reterm.run({ term, id: row.lease_id });
        });
    }
  }
}
