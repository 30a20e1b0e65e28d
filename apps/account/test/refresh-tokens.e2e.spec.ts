import { createHash } from 'node:crypto';
import { Client } from 'pg';
import {
  MailCatcher,
  createTestDatabase,
  delay,
  mailedLink,
  startService,
  type RunningService,
  type TestDatabase,
} from '@otl/testing';
import {
  AccountApi,
  accountEnv,
  claimsOf,
  createStaff,
  newEmail,
  newSigningKey,
  type Answer,
} from './support';

const PROBLEMS = 'https://docs.order-to-license.dev/problems/';
const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/;

describe('account refresh tokens (running service, real Postgres, Kafka and SMTP catcher)', () => {
  const signingKey = newSigningKey();
  const mail = new MailCatcher();
  let db: TestDatabase;
  let service: RunningService;
  let api: AccountApi;

  beforeAll(async () => {
    db = await createTestDatabase('account_refresh_e2e');
    service = await startService(
      'account',
      accountEnv(db.url, signingKey, { TRUST_PROXY: 'true', RATE_LIMIT_REFRESH_PER_CLIENT: '5/60' }),
    );
    api = new AccountApi(service.url);
  });

  afterAll(async () => {
    await service?.stop();
    await db?.drop();
  });

  async function query<R extends Record<string, unknown>>(
    text: string,
    params: unknown[] = [],
  ): Promise<R[]> {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      return (await client.query<R>(text, params)).rows;
    } finally {
      await client.end();
    }
  }

  async function signUpAndVerify(email: string): Promise<void> {
    expect((await api.register(email)).status).toBe(202);
    const [verification] = await mail.waitFor(email);
    expect((await api.verify(mailedLink(verification!, '/verify-email').token)).status).toBe(204);
  }

  /** A verified customer, signed in: the sign-in's answer. */
  async function signedIn(label: string, client = api): Promise<{ email: string; answer: Answer }> {
    const email = newEmail(label);
    await signUpAndVerify(email);
    const answer = await client.signIn(email);
    expect(answer.status).toBe(200);
    return { email, answer };
  }

  const refreshTokenOf = (answer: Answer) => answer.body.refreshToken as string;

  function expectRefused(answer: Answer): void {
    expect(answer.status).toBe(401);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.body).toEqual({
      type: `${PROBLEMS}invalid-refresh-token`,
      title: 'Invalid refresh token',
      status: 401,
      detail: 'The refresh token is invalid, expired or revoked; sign in again.',
    });
  }

  /** A counter's value (0 before its first count); `label` is one `name="value"` it must carry. */
  async function metric(name: string, label = ''): Promise<number> {
    const text = await (await fetch(`${service.url}/metrics`)).text();
    const line = text.split('\n').find((row) => row.startsWith(`${name}{`) && row.includes(label));
    return line ? Number(line.split(' ').at(-1)) : 0;
  }

  it('sign-in answers an access token and an opaque refresh token; a refresh answers a new pair with the same claims', async () => {
    const { email, answer } = await signedIn('Refresh');
    expect(answer.body).toEqual({
      accessToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: 900,
      refreshToken: expect.stringMatching(REFRESH_TOKEN),
      refreshExpiresIn: 2_592_000,
    });
    const rotatedBefore = await metric('token_refreshes_total', 'outcome="rotated"');

    const refreshed = await api.refresh(refreshTokenOf(answer));
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toEqual({
      accessToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: 900,
      refreshToken: expect.stringMatching(REFRESH_TOKEN),
      refreshExpiresIn: 2_592_000,
    });
    expect(refreshed.body.refreshToken).not.toBe(answer.body.refreshToken);
    const me = await api.me(refreshed.body.accessToken as string);
    expect(me.status).toBe(200);
    expect(me.body.email).toBe(email);

    const { iat: _iat, exp: _exp, ...claims } = claimsOf(refreshed.body.accessToken as string);
    const { iat: _iat0, exp: _exp0, ...signInClaims } = claimsOf(answer.body.accessToken as string);
    expect(claims).toEqual(signInClaims);
    expect(claims).toMatchObject({ sub: me.body.accountId, email, roles: [] });

    // The next token renews again: a sign-in goes on for as long as it is refreshed.
    const again = await api.refresh(refreshTokenOf(refreshed));
    expect(again.status).toBe(200);
    expect(await metric('token_refreshes_total', 'outcome="rotated"')).toBe(rotatedBefore + 2);
  });

  it("a staff member's refreshed access token carries the roles the account has now", async () => {
    const email = newEmail('Staff.Refresh');
    const made = createStaff(db.url, '--email', email, '--role', 'sales-rep');
    expect(made.status).toBe(0);
    const link = made.stdout.match(/https:\S+/)![0];
    expect((await api.setPassword(new URL(link).searchParams.get('token')!)).status).toBe(204);
    const signIn = await api.signIn(email);
    expect(claimsOf(signIn.body.accessToken as string).roles).toEqual(['sales-rep']);

    const refreshed = await api.refresh(refreshTokenOf(signIn));
    expect(refreshed.status).toBe(200);
    expect(claimsOf(refreshed.body.accessToken as string).roles).toEqual(['sales-rep']);

    expect(createStaff(db.url, '--email', email, '--role', 'sales-manager').status).toBe(0);
    const promoted = await api.refresh(refreshTokenOf(refreshed));
    expect(promoted.status).toBe(200);
    expect(claimsOf(promoted.body.accessToken as string).roles).toEqual(['sales-manager']);
  });

  it('a retired token presented again is a 401 and revokes its whole sign-in, the newest token too', async () => {
    const { email, answer } = await signedIn('Reuse');
    const first = refreshTokenOf(answer);
    const second = await api.refresh(first);
    expect(second.status).toBe(200);
    const third = await api.refresh(refreshTokenOf(second));
    expect(third.status).toBe(200);
    const reuseBefore = await metric('refresh_token_reuse_total');

    expectRefused(await api.refresh(first));
    expect(await metric('refresh_token_reuse_total')).toBe(reuseBefore + 1);
    expectRefused(await api.refresh(refreshTokenOf(third)));
    expectRefused(await api.refresh(refreshTokenOf(second)));

    // Another sign-in of the same account is a family of its own, untouched.
    const other = await api.signIn(email);
    expect(other.status).toBe(200);
    expect((await api.refresh(refreshTokenOf(other))).status).toBe(200);
  });

  it('of two concurrent refreshes of one token exactly one succeeds; the other is a reuse and ends the sign-in', async () => {
    for (let round = 0; round < 5; round++) {
      const { email, answer } = await signedIn(`Race${round}`);
      const token = refreshTokenOf(answer);
      const answers = await Promise.all([api.refresh(token), api.refresh(token)]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 401]);
      expectRefused(answers.find((a) => a.status === 401)!);
      const winner = answers.find((a) => a.status === 200)!;
      expectRefused(await api.refresh(refreshTokenOf(winner)));
      // The access token the winner got stays valid until it expires; signing in again works.
      expect((await api.me(winner.body.accessToken as string)).status).toBe(200);
      expect((await api.signIn(email)).status).toBe(200);
    }
  });

  it('logout is a 204 that ends the sign-in, and idempotent', async () => {
    const { answer } = await signedIn('Logout');
    const refreshed = await api.refresh(refreshTokenOf(answer));
    expect(refreshed.status).toBe(200);
    const out = await api.logout(refreshTokenOf(refreshed));
    expect(out.status).toBe(204);
    expect(out.body).toEqual({});
    expectRefused(await api.refresh(refreshTokenOf(refreshed)));
    expect((await api.logout(refreshTokenOf(refreshed))).status).toBe(204);
    // Logging out with the retired token of the sign-in works too, and so does an unknown token.
    expect((await api.logout(refreshTokenOf(answer))).status).toBe(204);
    expect((await api.logout('U'.repeat(43))).status).toBe(204);
  });

  it("a password reset revokes every refresh token of the account, even were a family's row not revoked", async () => {
    const { email, answer: phone } = await signedIn('Reset.Refresh');
    const laptop = await api.signIn(email);
    expect(laptop.status).toBe(200);
    const accountId = (await api.me(phone.body.accessToken as string)).body.accountId as string;

    expect((await api.requestReset(email)).status).toBe(202);
    const mails = await mail.waitFor(email, 2);
    const reset = await api.setPassword(mailedLink(mails[1]!, '/set-password').token, 'a brand new password');
    expect(reset.status).toBe(204);
    expect(
      await query(
        `SELECT revoked_reason FROM account_refresh_families WHERE account_id = $1 ORDER BY created_at`,
        [accountId],
      ),
    ).toEqual([{ revoked_reason: 'password-changed' }, { revoked_reason: 'password-changed' }]);
    expectRefused(await api.refresh(refreshTokenOf(phone)));

    // The sign-in remembers the password it was made with: un-revoked by hand, it still ends.
    await query(
      `UPDATE account_refresh_families SET revoked_at = NULL, revoked_reason = NULL WHERE account_id = $1`,
      [accountId],
    );
    expectRefused(await api.refresh(refreshTokenOf(laptop)));

    const fresh = await api.signIn(email, 'a brand new password');
    expect(fresh.status).toBe(200);
    expect((await api.refresh(refreshTokenOf(fresh))).status).toBe(200);
  });

  it('an expired refresh token is a 401 (second instance with a one-second lifetime, same database)', async () => {
    const shortLived = await startService(
      'account',
      accountEnv(db.url, signingKey, { REFRESH_TOKEN_TTL_SECONDS: '1' }),
    );
    try {
      const { answer } = await signedIn('Expired.Refresh', new AccountApi(shortLived.url));
      expect(answer.body.refreshExpiresIn).toBe(1);
      await delay(1500);
      expectRefused(await api.refresh(refreshTokenOf(answer)));
    } finally {
      await shortLived.stop();
    }
  });

  it('stores refresh tokens only as SHA-256 hashes', async () => {
    const { answer } = await signedIn('Hashed');
    const refreshed = await api.refresh(refreshTokenOf(answer));
    for (const raw of [refreshTokenOf(answer), refreshTokenOf(refreshed)]) {
      const hash = createHash('sha256').update(raw).digest('hex');
      expect(
        await query(`SELECT token_hash FROM account_refresh_tokens WHERE token_hash = $1`, [hash]),
      ).toEqual([{ token_hash: hash }]);
      // Nowhere in the database (any table, any column) does the token itself appear.
      const tables = await query<{ name: string }>(
        `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'`,
      );
      for (const { name } of tables) {
        const found = await query(`SELECT 1 FROM "${name}" t WHERE t::text LIKE '%' || $1 || '%'`, [raw]);
        expect({ table: name, found: found.length }).toEqual({ table: name, found: 0 });
      }
    }
  });

  it('refuses an unknown token with the same 401 as a used one', async () => {
    expectRefused(await api.refresh('A'.repeat(43)));
  });

  it.each([
    ['/v1/auth/token/refresh', {}, 'refreshToken'],
    ['/v1/auth/token/refresh', { refreshToken: 'short' }, 'refreshToken'],
    ['/v1/auth/token/refresh', { refreshToken: `${'A'.repeat(42)}=` }, 'refreshToken'],
    ['/v1/auth/token/refresh', { refreshToken: 42 }, 'refreshToken'],
    ['/v1/auth/token/refresh', { refreshToken: 'A'.repeat(43), scope: 'admin' }, 'scope'],
    ['/v1/auth/logout', {}, 'refreshToken'],
    ['/v1/auth/logout', { refreshToken: 'A'.repeat(44) }, 'refreshToken'],
    ['/v1/auth/logout', { refreshToken: 'A'.repeat(43), everywhere: true }, 'everywhere'],
  ])('POST %s with %j is a 400 naming %s', async (path, body, field) => {
    const answer = await api.request('POST', path, body);
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((answer.body.errors as { field: string }[]).map((error) => error.field)).toContain(field);
  });

  it('refused refreshes from one client address are limited (429 with retry-after); other clients are not', async () => {
    const { answer } = await signedIn('Refresh.Limited');
    const client = { 'x-forwarded-for': `203.0.113.${Math.floor(Math.random() * 250) + 1}` };
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await api.refresh('B'.repeat(43), client)).status).toBe(401);
    }
    const limited = await api.refresh('B'.repeat(43), client);
    expect(limited.status).toBe(429);
    expect(limited.body.type).toBe(`${PROBLEMS}too-many-requests`);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    // Even a good token waits on that client; from another it is exchanged, and that never counts.
    expect((await api.refresh(refreshTokenOf(answer), client)).status).toBe(429);
    const elsewhere = { 'x-forwarded-for': '198.18.0.1' };
    let token = refreshTokenOf(answer);
    for (let round = 0; round < 7; round++) {
      const refreshed = await api.refresh(token, elsewhere);
      expect(refreshed.status).toBe(200);
      token = refreshTokenOf(refreshed);
    }
  });

  it('documents the routes, every answer and the links from sign-in to refresh and logout', async () => {
    type Operation = {
      operationId: string;
      responses: Record<string, { content?: Record<string, { example?: unknown }>; links?: object }>;
    };
    const document = (await (await fetch(`${service.url}/docs-json`)).json()) as {
      paths: Record<string, { post: Operation }>;
      components: { schemas: Record<string, { properties: Record<string, unknown>; required: string[] }> };
    };
    const refresh = document.paths['/v1/auth/token/refresh']!.post;
    const logout = document.paths['/v1/auth/logout']!.post;
    const signIn = document.paths['/v1/auth/token']!.post;
    expect(Object.keys(refresh.responses).sort()).toEqual(['200', '400', '401', '413', '415', '429', '503']);
    expect(Object.keys(logout.responses).sort()).toEqual(['204', '400', '413', '415', '503']);
    expect(Object.keys(signIn.responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '403',
      '413',
      '415',
      '429',
      '503',
    ]);
    expect(refresh.responses['401']!.content!['application/problem+json']!.example).toMatchObject({
      type: `${PROBLEMS}invalid-refresh-token`,
      status: 401,
    });
    expect(Object.keys(signIn.responses['200']!.links!).sort()).toEqual(
      [logout.operationId, refresh.operationId].sort(),
    );
    expect(Object.keys(refresh.responses['200']!.links!).sort()).toEqual(
      [logout.operationId, refresh.operationId].sort(),
    );
    const tokens = document.components.schemas.TokensDto!;
    expect(Object.keys(tokens.properties).sort()).toEqual(
      ['accessToken', 'expiresIn', 'refreshExpiresIn', 'refreshToken', 'tokenType'].sort(),
    );
    expect(document.components.schemas.RefreshTokenDto).toMatchObject({
      required: ['refreshToken'],
      additionalProperties: false,
    });
  });

  it('never answered 5xx and logged no unhandled error', () => {
    expect(service.output()).not.toMatch(/unhandled error|"level":50/);
  });
});
