import { createHash, randomUUID } from 'node:crypto';
import type { Sql, Statement } from '@otl/event-store';

/**
 * Idempotency-Key records (the IETF httpapi "Idempotency-Key" draft, as Stripe runs it), scoped to
 * the reseller. The first request with a key claims it (`in-flight`) in a statement of its own, so a
 * concurrent duplicate sees the claim at once and gets 409; the request's answer is stored in the
 * same transaction as the order it records, so an order is never committed without its answer and
 * a retry after a crash replays it. A claim whose holder died before committing expires after the
 * lease and may be taken over by a retry with the same body; the holder, if it was only slow, then
 * fails to complete and rolls its order back (reseller_complete_idempotency raises).
 */
export interface StoredAnswer {
  status: number;
  body: Record<string, unknown>;
  location: string | null;
}

export type Claim =
  | { kind: 'claimed'; owner: string }
  | { kind: 'replay'; answer: StoredAnswer }
  | { kind: 'in-flight' }
  | { kind: 'other-body' };

export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** Answers worth keeping: a 5xx (or an outage) releases the key so that the client's retry runs again. */
export const isFinalStatus = (status: number) => status < 500;

/** JSON with object keys sorted at every level: the same body, however it was written, gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The request's fingerprint: SHA-256 of the operation and its canonical body. */
export const fingerprintOf = (operation: string, body: unknown) =>
  createHash('sha256').update(operation).update('\n').update(canonicalJson(body)).digest('hex');

export class IdempotencyKeys {
  constructor(
    private readonly sql: Sql,
    private readonly ttlSeconds: number,
    private readonly leaseSeconds: number,
  ) {}

  async claim(resellerId: string, key: string, fingerprint: string, now: Date): Promise<Claim> {
    const owner = randomUUID();
    const { rows } = await this.sql.query<{ owner: string }>(
      `INSERT INTO reseller_idempotency_keys AS t
         (reseller_id, idempotency_key, fingerprint, state, owner, locked_until, created_at, expires_at)
       VALUES ($1, $2, $3, 'in-flight', $4, $5::timestamptz + make_interval(secs => $6), $5, $5::timestamptz + make_interval(secs => $7))
       ON CONFLICT (reseller_id, idempotency_key) DO UPDATE SET
         fingerprint = EXCLUDED.fingerprint, state = 'in-flight', owner = EXCLUDED.owner,
         locked_until = EXCLUDED.locked_until, status = NULL, response = NULL, location = NULL,
         created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
       WHERE t.expires_at <= $5
          OR (t.state = 'in-flight' AND t.locked_until < $5 AND t.fingerprint = EXCLUDED.fingerprint)
       RETURNING owner`,
      [resellerId, key, fingerprint, owner, now, this.leaseSeconds, this.ttlSeconds],
    );
    if (rows[0]?.owner === owner) return { kind: 'claimed', owner };
    const existing = await this.sql.query<{
      fingerprint: string;
      state: 'in-flight' | 'done';
      status: number | null;
      response: string | null;
      location: string | null;
    }>(
      `SELECT fingerprint, state, status, response, location FROM reseller_idempotency_keys
        WHERE reseller_id = $1 AND idempotency_key = $2`,
      [resellerId, key],
    );
    const row = existing.rows[0];
    // Purged or released in between: claim again.
    if (!row) return this.claim(resellerId, key, fingerprint, now);
    if (row.fingerprint !== fingerprint) return { kind: 'other-body' };
    if (row.state === 'in-flight') return { kind: 'in-flight' };
    if (row.status === null || row.response === null) throw new Error('a done idempotency key has no answer');
    return {
      kind: 'replay',
      answer: {
        status: row.status,
        body: JSON.parse(row.response) as Record<string, unknown>,
        location: row.location,
      },
    };
  }

  /** Stores the answer, in the transaction that commits what it reports; fails if the claim was lost. */
  completeStatement(resellerId: string, key: string, owner: string, answer: StoredAnswer): Statement {
    return {
      text: 'SELECT reseller_complete_idempotency($1, $2, $3, $4, $5, $6)',
      params: [resellerId, key, owner, answer.status, JSON.stringify(answer.body), answer.location],
    };
  }

  /** Stores an answer that committed nothing (e.g. 409: the ref is taken). */
  async complete(resellerId: string, key: string, owner: string, answer: StoredAnswer): Promise<void> {
    const statement = this.completeStatement(resellerId, key, owner, answer);
    await this.sql.query(statement.text, statement.params);
  }

  /** Gives the key up (the request failed with a 5xx): the client's retry runs afresh. */
  async release(resellerId: string, key: string, owner: string): Promise<void> {
    await this.sql.query(
      `DELETE FROM reseller_idempotency_keys
        WHERE reseller_id = $1 AND idempotency_key = $2 AND owner = $3 AND state = 'in-flight'`,
      [resellerId, key, owner],
    );
  }

  /** Deletes expired keys, in batches; returns how many. */
  async purgeExpired(now: Date, batchSize = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const { rowCount } = await this.sql.query(
        `DELETE FROM reseller_idempotency_keys WHERE ctid IN (
           SELECT ctid FROM reseller_idempotency_keys WHERE expires_at <= $1 LIMIT $2)`,
        [now, batchSize],
      );
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < batchSize) return total;
    }
  }
}
