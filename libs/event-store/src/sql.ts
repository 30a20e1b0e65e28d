import type { Pool, PoolClient, QueryResultRow } from 'pg';

/** The one thing the event store needs from a connection: run a parameterised statement. */
export interface Sql {
  query<R extends QueryResultRow = QueryResultRow>(
    text: string,
    params?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>;
}

export type { Pool, PoolClient };

/**
 * A stable signed 64-bit key for a pg advisory lock on a string (FNV-1a, 64 bit).
 * Computed client-side so the lock can be sent in the same round trip as BEGIN.
 */
export function advisoryKey(value: string): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(value, 'utf8')) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return BigInt.asIntN(64, hash);
}

/** SQLSTATE classes that mean "the database is not reachable right now", not "this input is bad". */
export function isTransientDatabaseError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: string }).code;
  if (code === undefined) {
    return /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended/i.test(
      error.message,
    );
  }
  return (
    code.startsWith('08') || // connection exception
    code.startsWith('57P') || // operator intervention: admin shutdown, crash shutdown, cannot connect now
    code === '53300' || // too many connections
    code === '40001' || // serialization failure
    code === '40P01' || // deadlock detected
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND'].includes(code)
  );
}
