import {
  MailCatcher,
  createTestDatabase,
  describeHostileInput,
  mailedLink,
  countsAround,
  startService,
  type HostileTarget,
  type RunningService,
  type TestDatabase,
} from '@otl/testing';
import { AccountApi, PASSWORD, accountEnv, newEmail, newSigningKey } from './support';

describe('account under hostile input (running service, real Postgres and SMTP catcher)', () => {
  const mail = new MailCatcher();
  let db: TestDatabase;
  let service: RunningService;
  let api: AccountApi;
  const verified = newEmail('Hostile.Verified');
  /** The live refresh token of a sign-in, exchanged by each good request after a refresh case. */
  let refreshToken = '';

  beforeAll(async () => {
    db = await createTestDatabase('account_hostile');
    service = await startService('account', accountEnv(db.url, newSigningKey(), { TRUST_PROXY: 'true' }));
    api = new AccountApi(service.url);
    expect((await api.register(verified)).status).toBe(202);
    const [verification] = await mail.waitFor(verified);
    expect((await api.verify(mailedLink(verification!, '/verify-email').token)).status).toBe(204);
    refreshToken = (await api.signIn(verified)).body.refreshToken as string;
  });

  afterAll(async () => {
    await service?.stop();
    await db?.drop();
  });

  /** A well-formed token that no mail carried: the endpoint's own 400, after a lookup. */
  const unknownToken = 'q3J0mZ8Qe4dW0u1v2Xz9aB7cD6eF5gH4iJ3kL2mN1oP';
  const expectTokenRefused = async (path: string, body: Record<string, unknown>) => {
    const answer = await api.request('POST', path, body);
    expect([answer.status, answer.body.type]).toEqual([400, expect.stringMatching(/token/)]);
  };
  const targets: HostileTarget[] = [
    {
      name: 'POST /v1/accounts',
      path: '/v1/accounts',
      valid: () => ({
        email: newEmail('Hostile'),
        password: PASSWORD,
        name: 'Ana Lima',
        company: 'Example Ltd',
      }),
      field: 'name',
      textField: 'name',
      good: async () => expect((await api.register(newEmail('Good'))).status).toBe(202),
    },
    {
      name: 'POST /v1/accounts/verification',
      path: '/v1/accounts/verification',
      valid: () => ({ token: unknownToken }),
      field: 'token',
      textField: 'token',
      good: () => expectTokenRefused('/v1/accounts/verification', { token: unknownToken }),
    },
    {
      name: 'POST /v1/auth/token',
      path: '/v1/auth/token',
      valid: () => ({ email: verified, password: PASSWORD }),
      field: 'email',
      textField: 'email',
      good: async () => expect((await api.signIn(verified)).status).toBe(200),
    },
    {
      name: 'POST /v1/auth/password-reset',
      path: '/v1/auth/password-reset',
      valid: () => ({ email: newEmail('Hostile.Reset') }),
      field: 'email',
      textField: 'email',
      good: async () => expect((await api.requestReset(newEmail('Good.Reset'))).status).toBe(202),
    },
    {
      name: 'POST /v1/auth/password-reset/confirm',
      path: '/v1/auth/password-reset/confirm',
      valid: () => ({ token: unknownToken, password: PASSWORD }),
      field: 'token',
      textField: 'token',
      good: () =>
        expectTokenRefused('/v1/auth/password-reset/confirm', { token: unknownToken, password: PASSWORD }),
    },
    {
      name: 'POST /v1/auth/token/refresh',
      path: '/v1/auth/token/refresh',
      valid: () => ({ refreshToken: unknownToken }),
      field: 'refreshToken',
      textField: 'refreshToken',
      good: async () => {
        const answer = await api.refresh(refreshToken);
        expect(answer.status).toBe(200);
        refreshToken = answer.body.refreshToken as string;
      },
    },
    {
      name: 'POST /v1/auth/logout',
      path: '/v1/auth/logout',
      valid: () => ({ refreshToken: unknownToken }),
      field: 'refreshToken',
      textField: 'refreshToken',
      good: async () => expect((await api.logout(unknownToken)).status).toBe(204),
    },
  ];

  describeHostileInput({ url: () => service.url, databaseUrl: () => db.url, targets });

  it('refuses an address the event schema would not carry (non-ASCII), storing nothing', async () => {
    const { before, after, result } = await countsAround(db.url, () =>
      api.register(`josé.${Date.now()}@example.com`),
    );
    expect(result.status).toBe(400);
    expect(result.body.errors).toEqual([{ field: 'email', message: 'must be an email address' }]);
    expect(after).toEqual(before);
  });

  it('never answered 5xx and logged no unhandled error', () => {
    expect(service.output()).not.toMatch(/unhandled error|"level":50/);
  });
});
