import { randomUUID } from 'node:crypto';
import type { Sql, Statement } from '@otl/event-store';

/** Why a family of refresh tokens was revoked (kept on the row, for whoever investigates). */
export type RevocationReason = 'reuse' | 'logout' | 'password-changed' | 'account-unusable';

/** The family a presented token was exchanged in: what the next access token is issued for. */
export interface Rotated {
  outcome: 'rotated';
  familyId: string;
  accountId: string;
  /** The account's credentials generation when the family's sign-in happened. */
  generation: number;
}

/**
 * What presenting a refresh token came to. `reuse`: it had already been exchanged, and its family
 * (still live until now) has just been revoked. `refused`: unknown, expired, or of a revoked family.
 */
export type Rotation =
  Rotated | { outcome: 'reuse'; familyId: string; accountId: string } | { outcome: 'refused' };

const TOKENS = 'account_refresh_tokens';
const FAMILIES = 'account_refresh_families';

/**
 * The revocation of every live family of an account, as a statement for the transaction that
 * changes its password (the account's events and this commit together).
 */
export function revokeAccountFamilies(accountId: string, reason: RevocationReason): Statement {
  return {
    text: `UPDATE ${FAMILIES} SET revoked_at = now(), revoked_reason = $2
            WHERE account_id = $1 AND revoked_at IS NULL`,
    params: [accountId, reason],
  };
}

/**
 * Refresh tokens in Postgres, by hash only, in families (one sign-in and the tokens rotated from
 * it). Every change is one conditional statement, so concurrent requests on any number of
 * instances are decided by Postgres' row locks: of two exchanges of one token exactly one retires
 * it, and the other finds it retired (a reuse) and revokes the family. Expiry is the database's
 * clock, so instances never disagree about it.
 */
export class RefreshTokens {
  constructor(
    private readonly sql: Sql,
    /** Lifetime of each token from its issue: every exchange slides the family's end forward. */
    private readonly ttlSeconds: number,
  ) {}

  /** A new family, for a sign-in, holding its first token. */
  async start(accountId: string, generation: number, tokenHash: string): Promise<void> {
    await this.sql.query(
      `WITH family AS (
         INSERT INTO ${FAMILIES} (family_id, account_id, generation) VALUES ($1, $2, $3) RETURNING family_id
       )
       INSERT INTO ${TOKENS} (token_hash, family_id, expires_at)
       SELECT $4, family_id, now() + make_interval(secs => $5) FROM family`,
      [randomUUID(), accountId, generation, tokenHash, this.ttlSeconds],
    );
  }

  /**
   * Exchanges a live token for `nextHash` in the same family: retires the presented one and stores
   * the next in one statement. When nothing was exchanged, a token that was already retired (and
   * has not expired) revokes its family.
   */
  async rotate(presentedHash: string, nextHash: string): Promise<Rotation> {
    const { rows } = await this.sql.query<{ family_id: string; account_id: string; generation: number }>(
      `WITH retired AS (
         UPDATE ${TOKENS} t SET retired_at = now()
           FROM ${FAMILIES} f
          WHERE t.token_hash = $1 AND t.retired_at IS NULL AND t.expires_at > now()
            AND f.family_id = t.family_id AND f.revoked_at IS NULL
         RETURNING t.family_id, f.account_id, f.generation
       ), issued AS (
         INSERT INTO ${TOKENS} (token_hash, family_id, expires_at)
         SELECT $2, family_id, now() + make_interval(secs => $3) FROM retired
       )
       SELECT family_id, account_id, generation FROM retired`,
      [presentedHash, nextHash, this.ttlSeconds],
    );
    const row = rows[0];
    if (row) {
      return {
        outcome: 'rotated',
        familyId: row.family_id,
        accountId: row.account_id,
        generation: row.generation,
      };
    }
    // Committed state now: a concurrent exchange of the same token held its row lock until it
    // committed, so a token it retired reads as retired here.
    const reused = await this.sql.query<{ family_id: string; account_id: string }>(
      `UPDATE ${FAMILIES} f SET revoked_at = now(), revoked_reason = 'reuse'
         FROM ${TOKENS} t
        WHERE t.token_hash = $1 AND t.retired_at IS NOT NULL AND t.expires_at > now()
          AND f.family_id = t.family_id AND f.revoked_at IS NULL
       RETURNING f.family_id, f.account_id`,
      [presentedHash],
    );
    const family = reused.rows[0];
    return family
      ? { outcome: 'reuse', familyId: family.family_id, accountId: family.account_id }
      : { outcome: 'refused' };
  }

  /** Revokes one family (after an exchange, when its account can no longer sign in). */
  async revokeFamily(familyId: string, reason: RevocationReason): Promise<void> {
    await this.sql.query(
      `UPDATE ${FAMILIES} SET revoked_at = now(), revoked_reason = $2 WHERE family_id = $1 AND revoked_at IS NULL`,
      [familyId, reason],
    );
  }

  /** Revokes the family of any token it ever held, live, retired or expired; unknown tokens change nothing. */
  async revokeFamilyOf(tokenHash: string, reason: RevocationReason): Promise<void> {
    await this.sql.query(
      `UPDATE ${FAMILIES} f SET revoked_at = now(), revoked_reason = $2
         FROM ${TOKENS} t
        WHERE t.token_hash = $1 AND f.family_id = t.family_id AND f.revoked_at IS NULL`,
      [tokenHash, reason],
    );
  }

  /**
   * Deletes what can no longer be used: families revoked, or whose every token expired, more than
   * `retainSeconds` ago (with their tokens), and expired tokens of live families. Until then an
   * expired or revoked token answers exactly like an unknown one, so purging changes no answer.
   * Returns the rows deleted.
   */
  async prune(retainSeconds = 86_400): Promise<number> {
    const families = await this.sql.query(
      `DELETE FROM ${FAMILIES} f
        WHERE f.revoked_at < now() - make_interval(secs => $1)
           OR (f.created_at < now() - make_interval(secs => $1)
               AND NOT EXISTS (SELECT 1 FROM ${TOKENS} t
                                WHERE t.family_id = f.family_id
                                  AND t.expires_at > now() - make_interval(secs => $1)))`,
      [retainSeconds],
    );
    const tokens = await this.sql.query(
      `DELETE FROM ${TOKENS} WHERE expires_at < now() - make_interval(secs => $1)`,
      [retainSeconds],
    );
    return (families.rowCount ?? 0) + (tokens.rowCount ?? 0);
  }
}
