import { randomUUID } from 'node:crypto';
import { EventStore, type Sql } from '@otl/event-store';
import type { RateLimitRule } from '../config';
import { KEY_ID_PATTERN, issueKey, parseKey } from './api-key';
import { emissionIntervalMs, rateDecision, type RateDecision } from './rate-limit';

export interface AuthenticatedReseller {
  resellerId: string;
  resellerName: string;
  keyId: string;
}

export type Authentication =
  { ok: true; reseller: AuthenticatedReseller; rate: RateDecision } | { ok: false };

export interface KeyListing {
  keyId: string;
  resellerId: string;
  reseller: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** last_used_at is written at most this often per key: exact enough for an operator, cheap at load. */
const LAST_USED_RESOLUTION = '10 seconds';

export const resellerStream = (resellerId: string) => `Reseller-${resellerId}`;

/**
 * Resellers and their API keys. The operator commands issue, revoke and list keys; every request
 * is checked against the table (no cache), so a revocation holds on every instance at once.
 * Issuing and revoking also append to the reseller's stream, for the audit trail.
 */
export class KeyStore {
  constructor(
    private readonly sql: Sql,
    private readonly rule: RateLimitRule,
  ) {}

  /**
   * One round trip: the key (unrevoked, the secret's hash matching) with its reseller, its
   * last-used time refreshed, and one hit on its rate limit. A key that does not match counts
   * against nobody's limit, so knowing a key id does not let anyone exhaust its reseller's quota.
   */
  async authenticate(presented: string): Promise<Authentication> {
    const parsed = parseKey(presented);
    if (!parsed) return { ok: false };
    const interval = emissionIntervalMs(this.rule);
    const tolerance = this.rule.windowSeconds * 1000 - interval;
    const { rows } = await this.sql.query<{
      reseller_id: string;
      name: string;
      tat_ms: number;
      allowed: boolean;
      now_ms: number;
    }>(
      `WITH clock AS (SELECT extract(epoch FROM clock_timestamp())::float8 * 1000 AS now_ms),
       k AS (
         SELECT k.key_id, k.reseller_id, r.name
           FROM reseller_api_keys k JOIN resellers r USING (reseller_id)
          WHERE k.key_id = $1 AND k.secret_sha256 = $2 AND k.revoked_at IS NULL
       ),
       touched AS (
         UPDATE reseller_api_keys SET last_used_at = now()
          WHERE key_id IN (SELECT key_id FROM k)
            AND (last_used_at IS NULL OR last_used_at < now() - interval '${LAST_USED_RESOLUTION}')
          RETURNING 1
       ),
       rate AS (
         INSERT INTO reseller_rate_limits AS l (key_id, tat_ms, allowed)
         SELECT key_id, (SELECT now_ms FROM clock) + $3, true FROM k
         ON CONFLICT (key_id) DO UPDATE SET
           allowed = greatest(l.tat_ms, (SELECT now_ms FROM clock)) - (SELECT now_ms FROM clock) <= $4,
           tat_ms = CASE
             WHEN greatest(l.tat_ms, (SELECT now_ms FROM clock)) - (SELECT now_ms FROM clock) <= $4
             THEN greatest(l.tat_ms, (SELECT now_ms FROM clock)) + $3
             ELSE l.tat_ms END
         RETURNING tat_ms, allowed
       )
       SELECT k.reseller_id, k.name, rate.tat_ms, rate.allowed, clock.now_ms
         FROM k CROSS JOIN rate CROSS JOIN clock`,
      [parsed.keyId, parsed.secretHash, interval, tolerance],
    );
    const row = rows[0];
    if (!row) return { ok: false };
    return {
      ok: true,
      reseller: { resellerId: row.reseller_id, resellerName: row.name, keyId: parsed.keyId },
      rate: rateDecision(this.rule, row.allowed, Number(row.tat_ms), Number(row.now_ms)),
    };
  }
}

/** The operator's side: issue, revoke, list. */
export class KeyAdministration {
  constructor(
    private readonly sql: Sql,
    private readonly store: EventStore,
  ) {}

  /** Creates the reseller when new (names compare case-insensitively) and issues a key; the key is returned once. */
  async issue(
    resellerName: string,
  ): Promise<{ resellerId: string; created: boolean; keyId: string; key: string }> {
    const name = resellerName.trim();
    const nameKey = name.toLowerCase();
    const inserted = await this.sql.query<{ reseller_id: string }>(
      `INSERT INTO resellers (reseller_id, name, name_key) VALUES ($1, $2, $3)
       ON CONFLICT (name_key) DO NOTHING RETURNING reseller_id`,
      [randomUUID(), name, nameKey],
    );
    const created = inserted.rows.length > 0;
    const resellerId = inserted.rows[0]?.reseller_id ?? (await this.resellerIdOf(nameKey));
    const issued = issueKey();
    const stream = resellerStream(resellerId);
    await this.store.transaction({ lockStreams: [stream], prefetch: true }, async (tx) => {
      const { version } = await tx.readStream(stream);
      const at = new Date().toISOString();
      const events = [
        ...(version === 0 ? [{ type: 'reseller.created.v1', data: { resellerId, name, at } }] : []),
        { type: 'reseller.key-issued.v1', data: { resellerId, keyId: issued.keyId, at } },
      ];
      await tx.commitWith([
        {
          text: 'INSERT INTO reseller_api_keys (key_id, reseller_id, secret_sha256) VALUES ($1, $2, $3)',
          params: [issued.keyId, resellerId, issued.secretHash],
        },
        tx.appendStatement(stream, version, events),
      ]);
    });
    return { resellerId, created, keyId: issued.keyId, key: issued.key };
  }

  private async resellerIdOf(nameKey: string): Promise<string> {
    const { rows } = await this.sql.query<{ reseller_id: string }>(
      'SELECT reseller_id FROM resellers WHERE name_key = $1',
      [nameKey],
    );
    const found = rows[0];
    if (!found) throw new Error(`reseller ${nameKey} vanished while a key was issued`);
    return found.reseller_id;
  }

  /** Revokes a key at once; revoking a revoked key changes nothing. Undefined when there is no such key. */
  async revoke(
    keyId: string,
  ): Promise<{ resellerId: string; reseller: string; revokedAt: Date; already: boolean } | undefined> {
    if (!KEY_ID_PATTERN.test(keyId)) return undefined;
    const found = await this.sql.query<{ reseller_id: string }>(
      'SELECT reseller_id FROM reseller_api_keys WHERE key_id = $1',
      [keyId],
    );
    const resellerId = found.rows[0]?.reseller_id;
    if (!resellerId) return undefined;
    const stream = resellerStream(resellerId);
    return this.store.transaction({ lockStreams: [stream], prefetch: true }, async (tx) => {
      const { version } = await tx.readStream(stream);
      const { rows } = await tx.query<{ revoked_at: Date; already: boolean; name: string }>(
        `WITH before AS (SELECT revoked_at FROM reseller_api_keys WHERE key_id = $1 FOR UPDATE)
         UPDATE reseller_api_keys k SET revoked_at = coalesce(k.revoked_at, now())
           FROM before, resellers r
          WHERE k.key_id = $1 AND r.reseller_id = k.reseller_id
          RETURNING k.revoked_at, before.revoked_at IS NOT NULL AS already, r.name`,
        [keyId],
      );
      const row = rows[0];
      if (!row) throw new Error(`key ${keyId} vanished while it was revoked`);
      await tx.commitWith(
        row.already
          ? []
          : [
              tx.appendStatement(stream, version, [
                {
                  type: 'reseller.key-revoked.v1',
                  data: { resellerId, keyId, at: row.revoked_at.toISOString() },
                },
              ]),
            ],
      );
      return { resellerId, reseller: row.name, revokedAt: row.revoked_at, already: row.already };
    });
  }

  async list(): Promise<KeyListing[]> {
    const { rows } = await this.sql.query<{
      key_id: string;
      reseller_id: string;
      name: string;
      created_at: Date;
      last_used_at: Date | null;
      revoked_at: Date | null;
    }>(
      `SELECT k.key_id, k.reseller_id, r.name, k.created_at, k.last_used_at, k.revoked_at
         FROM reseller_api_keys k JOIN resellers r USING (reseller_id)
        ORDER BY r.name_key, k.created_at`,
    );
    return rows.map((row) => ({
      keyId: row.key_id,
      resellerId: row.reseller_id,
      reseller: row.name,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
      revokedAt: row.revoked_at,
    }));
  }
}
