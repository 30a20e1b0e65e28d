import type { Pool, PoolClient } from 'pg';

/** A session row as the portal reads it (tokens still sealed). */
export interface SessionRow {
  idHash: Buffer;
  accountId: string;
  tokens: Buffer;
  refreshAt: Date;
  accessExpiresAt: Date;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}

interface Row {
  id_hash: Buffer;
  account_id: string;
  tokens: Buffer;
  refresh_at: Date;
  access_expires_at: Date;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
}

const fromRow = (row: Row): SessionRow => ({
  idHash: row.id_hash,
  accountId: row.account_id,
  tokens: row.tokens,
  refreshAt: row.refresh_at,
  accessExpiresAt: row.access_expires_at,
  createdAt: row.created_at,
  lastSeenAt: row.last_seen_at,
  expiresAt: row.expires_at,
});

export interface TokenUpdate {
  tokens: Buffer;
  refreshAt: Date;
  accessExpiresAt: Date;
}

/** The sessions table, in plain SQL on the service's pool. */
export class SessionStore {
  constructor(private readonly pool: Pool) {}

  async insert(row: SessionRow): Promise<void> {
    await this.pool.query(
      `INSERT INTO portal_sessions
         (id_hash, account_id, tokens, refresh_at, access_expires_at, created_at, last_seen_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        row.idHash,
        row.accountId,
        row.tokens,
        row.refreshAt,
        row.accessExpiresAt,
        row.createdAt,
        row.lastSeenAt,
        row.expiresAt,
      ],
    );
  }

  /** The session, unless it has ended (idle too long or past its lifetime) by `now`. */
  async findLive(idHash: Buffer, now: Date, idleSeconds: number): Promise<SessionRow | undefined> {
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM portal_sessions
        WHERE id_hash = $1 AND expires_at > $2 AND last_seen_at > $2::timestamptz - make_interval(secs => $3)`,
      [idHash, now, idleSeconds],
    );
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  /** Marks the session used; at most one write a minute per session. */
  async touch(idHash: Buffer, now: Date): Promise<void> {
    await this.pool.query(
      `UPDATE portal_sessions SET last_seen_at = $2
        WHERE id_hash = $1 AND last_seen_at < $2::timestamptz - interval '60 seconds'`,
      [idHash, now],
    );
  }

  /**
   * Runs `work` holding the session's row lock, so that one refresh token is presented once even
   * when several requests of one session (on several portal instances) find the access token old.
   * `work` gets the row as it is now (undefined: the session is gone) and says what to write.
   */
  async underLock<T>(
    idHash: Buffer,
    work: (row: SessionRow | undefined) => Promise<{ result: T; update?: TokenUpdate; remove?: boolean }>,
  ): Promise<T> {
    const client: PoolClient = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<Row>(
        'SELECT * FROM portal_sessions WHERE id_hash = $1 FOR UPDATE',
        [idHash],
      );
      const outcome = await work(rows[0] ? fromRow(rows[0]) : undefined);
      if (outcome.remove) {
        await client.query('DELETE FROM portal_sessions WHERE id_hash = $1', [idHash]);
      } else if (outcome.update) {
        await client.query(
          'UPDATE portal_sessions SET tokens = $2, refresh_at = $3, access_expires_at = $4 WHERE id_hash = $1',
          [idHash, outcome.update.tokens, outcome.update.refreshAt, outcome.update.accessExpiresAt],
        );
      }
      await client.query('COMMIT');
      return outcome.result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Removes the session; returns it as it was (for its refresh token), if it existed. */
  async remove(idHash: Buffer): Promise<SessionRow | undefined> {
    const { rows } = await this.pool.query<Row>(
      'DELETE FROM portal_sessions WHERE id_hash = $1 RETURNING *',
      [idHash],
    );
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  /** Deletes sessions that have ended; returns how many. */
  async purge(now: Date, idleSeconds: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM portal_sessions
        WHERE expires_at <= $1 OR last_seen_at <= $1::timestamptz - make_interval(secs => $2)`,
      [now, idleSeconds],
    );
    return rowCount ?? 0;
  }
}
