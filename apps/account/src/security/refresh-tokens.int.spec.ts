import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource, migrate, poolOf } from '@otl/event-store';
import { createTestDatabase, delay, type TestDatabase } from '@otl/testing';
import { accountMigrations } from '../infrastructure/migrations';
import { RefreshTokens, revokeAccountFamilies } from './refresh-tokens';
import { drawSecret } from './secret-tokens';

describe('RefreshTokens on real Postgres', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let pool: Pool;
  let tokens: RefreshTokens;

  beforeAll(async () => {
    db = await createTestDatabase('account_refresh');
    dataSource = createDataSource({ url: db.url, migrations: accountMigrations, poolSize: 30 });
    await dataSource.initialize();
    await migrate(dataSource);
    pool = poolOf(dataSource);
    tokens = new RefreshTokens(pool, 3600);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  const hash = () => drawSecret().hash;

  /** A sign-in of a new account: its account id and the hash of its first token. */
  async function signIn(store = tokens, generation = 1): Promise<{ accountId: string; first: string }> {
    const accountId = randomUUID();
    const first = hash();
    await store.start(accountId, generation, first);
    return { accountId, first };
  }

  const familyOf = async (tokenHash: string) =>
    (
      await pool.query<{ revoked_reason: string | null; tokens: string }>(
        `SELECT f.revoked_reason, (SELECT count(*) FROM account_refresh_tokens x WHERE x.family_id = f.family_id) AS tokens
           FROM account_refresh_families f JOIN account_refresh_tokens t USING (family_id)
          WHERE t.token_hash = $1`,
        [tokenHash],
      )
    ).rows[0];

  it('exchanges a token once; presenting it again revokes the family, the newest token included', async () => {
    const { accountId, first } = await signIn(tokens, 3);
    const second = hash();
    expect(await tokens.rotate(first, second)).toEqual({
      outcome: 'rotated',
      familyId: expect.any(String),
      accountId,
      generation: 3,
    });
    const third = hash();
    expect((await tokens.rotate(second, third)).outcome).toBe('rotated');

    expect(await tokens.rotate(first, hash())).toEqual({
      outcome: 'reuse',
      familyId: expect.any(String),
      accountId,
    });
    expect(await familyOf(third)).toEqual({ revoked_reason: 'reuse', tokens: '3' });
    expect(await tokens.rotate(third, hash())).toEqual({ outcome: 'refused' });
    // A second replay finds the family revoked already: refused, not a new detection.
    expect(await tokens.rotate(second, hash())).toEqual({ outcome: 'refused' });
  });

  it('refuses an unknown token and changes nothing', async () => {
    const before = await pool.query('SELECT count(*) FROM account_refresh_tokens');
    expect(await tokens.rotate(hash(), hash())).toEqual({ outcome: 'refused' });
    expect((await pool.query('SELECT count(*) FROM account_refresh_tokens')).rows).toEqual(before.rows);
  });

  it('of 20 concurrent exchanges of one token exactly one succeeds, and the family is revoked once', async () => {
    for (let round = 0; round < 3; round++) {
      const { first } = await signIn();
      const nexts = Array.from({ length: 20 }, hash);
      const outcomes = await Promise.all(nexts.map((next) => tokens.rotate(first, next)));
      const counts = outcomes.reduce<Record<string, number>>(
        (sum, { outcome }) => ({ ...sum, [outcome]: (sum[outcome] ?? 0) + 1 }),
        {},
      );
      expect(counts).toEqual({ rotated: 1, reuse: 1, refused: 18 });
      const winner = nexts[outcomes.findIndex(({ outcome }) => outcome === 'rotated')]!;
      expect(await tokens.rotate(winner, hash())).toEqual({ outcome: 'refused' });
      expect(await familyOf(first)).toEqual({ revoked_reason: 'reuse', tokens: '2' });
    }
  });

  it('refuses an expired token without taking it for a reuse, and slides the expiry on each exchange', async () => {
    const shortLived = new RefreshTokens(pool, 1);
    const { first } = await signIn(shortLived);
    const second = hash();
    expect((await shortLived.rotate(first, second)).outcome).toBe('rotated');
    await delay(1100);
    expect(await shortLived.rotate(second, hash())).toEqual({ outcome: 'refused' });
    expect(await shortLived.rotate(first, hash())).toEqual({ outcome: 'refused' });
    expect(await familyOf(second)).toEqual({ revoked_reason: null, tokens: '2' });

    const { rows } = await pool.query<{ lifetime: number }>(
      `SELECT extract(epoch FROM expires_at - issued_at)::int AS lifetime FROM account_refresh_tokens WHERE token_hash = $1`,
      [second],
    );
    expect(rows).toEqual([{ lifetime: 1 }]);
  });

  it('logout revokes the family of any of its tokens; an unknown token changes nothing', async () => {
    const { first } = await signIn();
    const second = hash();
    expect((await tokens.rotate(first, second)).outcome).toBe('rotated');
    await tokens.revokeFamilyOf(first, 'logout');
    expect(await familyOf(second)).toEqual({ revoked_reason: 'logout', tokens: '2' });
    expect(await tokens.rotate(second, hash())).toEqual({ outcome: 'refused' });
    await expect(tokens.revokeFamilyOf(hash(), 'logout')).resolves.toBeUndefined();
    // Revoking again keeps the first reason.
    await tokens.revokeFamilyOf(second, 'account-unusable');
    expect((await familyOf(second))?.revoked_reason).toBe('logout');
  });

  it("a password change revokes every live family of that account and no one else's", async () => {
    const accountId = randomUUID();
    const [phone, laptop, other] = [hash(), hash(), hash()];
    await tokens.start(accountId, 1, phone);
    await tokens.start(accountId, 1, laptop);
    await tokens.start(randomUUID(), 1, other);
    const { text, params } = revokeAccountFamilies(accountId, 'password-changed');
    await pool.query(text, params);
    expect((await familyOf(phone))?.revoked_reason).toBe('password-changed');
    expect((await familyOf(laptop))?.revoked_reason).toBe('password-changed');
    expect((await familyOf(other))?.revoked_reason).toBeNull();
    expect((await tokens.rotate(other, hash())).outcome).toBe('rotated');
  });

  it('prunes revoked families and expired tokens, and keeps what can still be used', async () => {
    const live = await signIn();
    const revoked = await signIn();
    await tokens.revokeFamilyOf(revoked.first, 'logout');
    const shortLived = new RefreshTokens(pool, 1);
    const expired = await signIn(shortLived);
    // A live family whose retired token expired: the token goes, the family stays.
    const rotating = await signIn(shortLived);
    const current = hash();
    expect((await new RefreshTokens(pool, 3600).rotate(rotating.first, current)).outcome).toBe('rotated');
    await delay(1100);

    expect(await tokens.prune(0)).toBeGreaterThanOrEqual(3);
    expect(await familyOf(live.first)).toEqual({ revoked_reason: null, tokens: '1' });
    expect(await familyOf(revoked.first)).toBeUndefined();
    expect(await familyOf(expired.first)).toBeUndefined();
    expect(await familyOf(rotating.first)).toBeUndefined();
    expect(await familyOf(current)).toEqual({ revoked_reason: null, tokens: '1' });
    const orphans = await pool.query(
      `SELECT count(*)::int AS n FROM account_refresh_families f
        WHERE NOT EXISTS (SELECT 1 FROM account_refresh_tokens t WHERE t.family_id = f.family_id)`,
    );
    expect(orphans.rows).toEqual([{ n: 0 }]);
    expect((await tokens.rotate(live.first, hash())).outcome).toBe('rotated');
    expect((await tokens.rotate(current, hash())).outcome).toBe('rotated');
  });
});
