import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { Kafka, type Producer } from 'kafkajs';
import { topics } from '@otl/contracts';
import {
  DEFAULT_ACCESS_TOKEN_AUDIENCE,
  DEFAULT_ACCESS_TOKEN_ISSUER,
  InvalidTokenError,
  JwksClient,
  jwkThumbprint,
  parsePrivateKey,
  signAccessToken,
  verifyAccessToken,
} from '@otl/auth';
import {
  MailCatcher,
  TopicRecorder,
  createTestDatabase,
  delay,
  expectBodyTooLarge,
  expectServiceSurface,
  eventually,
  mailedLink,
  requireEnv,
  startService,
  testKafka,
  type RunningService,
  type TestDatabase,
} from '@otl/testing';
import {
  AccountApi,
  PASSWORD,
  PORTAL_URL,
  Store,
  accountEnv,
  accountEvents,
  assignmentsOf,
  claimsOf,
  createStaff as runCreateStaff,
  createdFor,
  newEmail,
  newSigningKey,
  storedCounts,
  storedFor,
} from './support';

describe('account service (running services, real Postgres, Kafka and SMTP catcher)', () => {
  const signingKey = newSigningKey();
  const mail = new MailCatcher();
  let db: TestDatabase;
  let service: RunningService;
  let api: AccountApi;
  let store: Store;
  let recorder: TopicRecorder;
  let producer: Producer;

  beforeAll(async () => {
    db = await createTestDatabase('account_e2e');
    recorder = await new TopicRecorder(testKafka('account-e2e'), [topics.accounts, topics.purchases]).start();
    [service, store] = await Promise.all([
      startService(
        'account',
        accountEnv(db.url, signingKey, { TRUST_PROXY: 'true', RATE_LIMIT_SIGN_IN_PER_CLIENT: '20/60' }),
      ),
      Store.start(),
    ]);
    api = new AccountApi(service.url);
    producer = new Kafka({
      brokers: requireEnv('KAFKA_BROKERS').split(','),
      clientId: 'account-e2e-replay',
    }).producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await service?.stop();
    await store?.stop();
    await recorder?.stop();
    await db?.drop();
  });

  const events = () => accountEvents(recorder.records);
  const waitForAssignment = (purchaseId: string) =>
    recorder.waitFor(
      (records) => assignmentsOf(accountEvents(records), purchaseId).length > 0,
      `assignment of ${purchaseId}`,
    );
  const stored = (email: string) => storedFor(db.url, email);

  async function signUpAndVerify(email: string, password = PASSWORD): Promise<void> {
    expect((await api.register(email, password)).status).toBe(202);
    const [verification] = await mail.waitFor(email);
    expect((await api.verify(mailedLink(verification!, '/verify-email').token)).status).toBe(204);
  }

  async function accessTokenOf(email: string, password = PASSWORD): Promise<string> {
    const answer = await api.signIn(email, password);
    expect(answer.status).toBe(200);
    return answer.body.accessToken as string;
  }

  describe('purchases', () => {
    it('a purchase by a new email makes one account, one created and one assigned event, and one set-password mail', async () => {
      const email = newEmail('Buyer.New');
      const purchaseId = await store.order(email, 'Nia Buyer');
      await waitForAssignment(purchaseId);
      const [mailed] = await mail.waitFor(email);
      expect(await stored(email)).toEqual({
        accounts: 1,
        assigned: [purchaseId],
        mails: ['purchase-set-password'],
      });

      const created = createdFor(events(), email);
      expect(created).toHaveLength(1);
      const account = created[0]!;
      expect(account.data).toMatchObject({ email, name: 'Nia Buyer', company: null, origin: 'purchase' });
      expect(account.subject).toBe(account.data.accountId);
      const assigned = assignmentsOf(events(), purchaseId);
      expect(assigned).toHaveLength(1);
      expect(assigned[0]!.data).toMatchObject({
        purchaseId,
        accountId: account.data.accountId,
        channel: 'store',
      });
      expect(assigned[0]!.subject).toBe(account.data.accountId);

      const mails = await mail.mailsTo(email);
      expect(mails).toHaveLength(1);
      const link = mailedLink(mailed!, '/set-password');
      expect(link.url.origin + link.url.pathname).toBe(`${PORTAL_URL}/set-password`);

      // No password yet: the same 401 as a wrong one.
      expect((await api.signIn(email, 'anything at all here')).status).toBe(401);
      expect((await api.setPassword(link.token)).status).toBe(204);
      for (const spelling of [email, email.toUpperCase(), `  ${email.toLowerCase()} `]) {
        const token = await accessTokenOf(spelling);
        const me = await api.me(token);
        expect(me.status).toBe(200);
        expect(me.body).toEqual({
          accountId: account.data.accountId,
          email,
          name: 'Nia Buyer',
          company: null,
        });
      }
    });

    it('a purchase by a registered email is assigned to that account, with no new account and no mail', async () => {
      const email = newEmail('Buyer.Known');
      await signUpAndVerify(email);
      const accountId = (await api.me(await accessTokenOf(email))).body.accountId as string;
      const purchaseId = await store.order(email.toUpperCase());
      await waitForAssignment(purchaseId);
      expect(await stored(email)).toEqual({ accounts: 1, assigned: [purchaseId], mails: ['verify-email'] });

      expect(assignmentsOf(events(), purchaseId).map((event) => event.data)).toEqual([
        expect.objectContaining({ purchaseId, accountId }),
      ]);
      expect(createdFor(events(), email)).toHaveLength(1);
      expect(createdFor(events(), email)[0]!.data.origin).toBe('registration');
      expect(await mail.mailsTo(email)).toHaveLength(1); // the verification mail only
      expect((await api.signIn(email)).status).toBe(200);
    });

    it('the same purchase.recorded.v1 delivered twice (replayed from Kafka) is assigned once and mailed once', async () => {
      const email = newEmail('Buyer.Replay');
      const purchaseId = await store.order(email);
      await waitForAssignment(purchaseId);
      await mail.waitFor(email);
      const original = recorder.records.find(
        (record) => record.topic === topics.purchases && record.key === purchaseId,
      );
      expect(original).toBeDefined();
      const duplicatesBefore = await inboxCount('duplicate');
      await producer.send({
        topic: topics.purchases,
        messages: [{ key: original!.key, value: original!.value }],
      });
      await eventually(async () => ((await inboxCount('duplicate')) > duplicatesBefore ? true : undefined), {
        what: 'the replayed record to be seen as a duplicate',
      });
      expect(await stored(email)).toEqual({
        accounts: 1,
        assigned: [purchaseId],
        mails: ['purchase-set-password'],
      });

      expect(assignmentsOf(events(), purchaseId)).toHaveLength(1);
      expect(createdFor(events(), email)).toHaveLength(1);
      expect(await mail.mailsTo(email)).toHaveLength(1);
    });

    it('two concurrent purchases by one new email make one account holding both', async () => {
      const email = newEmail('Buyer.Twice');
      const [first, second] = await Promise.all([store.order(email), store.order(email.toUpperCase())]);
      await waitForAssignment(first);
      await waitForAssignment(second);
      expect((await stored(email)).accounts).toBe(1);

      const created = createdFor(events(), email);
      expect(created).toHaveLength(1);
      const accountIds = [first, second].map((id) => assignmentsOf(events(), id)[0]!.data.accountId);
      expect(accountIds).toEqual([created[0]!.data.accountId, created[0]!.data.accountId]);
    });
  });

  describe('registration', () => {
    it('answers 202 for new and known emails alike; sign-in waits for the mailed link; a repeat changes nothing', async () => {
      const email = newEmail('Reg');
      const first = await api.register(email);
      expect(first.status).toBe(202);
      expect(first.body).toEqual({ status: 'check-your-email' });

      // The password is right, but nobody has proved they read the mail yet.
      const early = await api.signIn(email);
      expect(early.status).toBe(403);
      expect(early.body.type).toMatch(/email-not-verified$/);

      const [verification] = await mail.waitFor(email);
      const { token, url } = mailedLink(verification!, '/verify-email');
      expect(url.origin).toBe(PORTAL_URL);
      expect((await api.verify(token)).status).toBe(204);
      expect((await api.signIn(email)).status).toBe(200);

      const again = await api.register(email.toUpperCase(), 'another password entirely', 'Someone Else');
      expect(again.status).toBe(202);
      expect(again.body).toEqual(first.body);
      const mails = await mail.waitFor(email, 2);
      expect(mails[1]!.subject).toBe('You already have an account');
      expect((await api.signIn(email)).status).toBe(200);
      expect((await api.signIn(email, 'another password entirely')).status).toBe(401);
      expect((await api.me(await accessTokenOf(email))).body.name).toBe('Test Buyer');
    });

    it("a registrant of a buyer's address cannot sign in; the buyer's link gets the account and the purchase", async () => {
      const email = newEmail('Victim');
      const attackerPassword = 'attacker chosen password';
      expect((await api.register(email, attackerPassword, 'Mallory')).status).toBe(202);
      const purchaseId = await store.order(email, 'Victor Buyer');
      await waitForAssignment(purchaseId);
      const mails = await mail.waitFor(email, 2);

      // The attacker's password never opens the account, before or after the buyer acts.
      expect((await api.signIn(email, attackerPassword)).status).toBe(401);
      // Even the verification link of the attacker's registration no longer works.
      const verification = mails.find((m) => m.subject === 'Confirm your email address')!;
      expect((await api.verify(mailedLink(verification, '/verify-email').token)).status).toBe(400);
      expect((await api.signIn(email, attackerPassword)).status).toBe(401);

      const setPassword = mails.find((m) => m.subject.startsWith('Your purchase'))!;
      expect((await api.setPassword(mailedLink(setPassword, '/set-password').token)).status).toBe(204);
      const me = await api.me(await accessTokenOf(email));
      expect(me.body.accountId).toBe(assignmentsOf(events(), purchaseId)[0]!.data.accountId);
      expect((await api.signIn(email, attackerPassword)).status).toBe(401);
    });
  });

  describe('password reset', () => {
    it('a reset ends the old password, mails a notice, and its token works once', async () => {
      const email = newEmail('Reset');
      await signUpAndVerify(email);
      expect((await api.requestReset(email.toUpperCase())).status).toBe(202);
      const mails = await mail.waitFor(email, 2);
      const { token, url } = mailedLink(mails[1]!, '/set-password');
      expect(url.origin).toBe(PORTAL_URL);

      expect((await api.setPassword(token, 'a brand new password')).status).toBe(204);
      expect((await api.signIn(email)).status).toBe(401);
      expect((await api.signIn(email, 'a brand new password')).status).toBe(200);
      const notice = await mail.waitFor(email, 3);
      expect(notice[2]!.subject).toBe('Your password was changed');

      const reused = await api.setPassword(token, 'yet another password');
      expect(reused.status).toBe(400);
      expect(reused.body.errors).toEqual([{ field: 'token', message: expect.any(String) }]);
      expect((await api.signIn(email, 'a brand new password')).status).toBe(200);
    });

    it('refuses unknown and malformed tokens with 400', async () => {
      const unknown = await api.setPassword('A'.repeat(43));
      expect(unknown.status).toBe(400);
      expect(unknown.body.type).toMatch(/invalid-token$/);
      for (const malformed of ['short', 'A'.repeat(44), `${'A'.repeat(42)}!`]) {
        const answer = await api.setPassword(malformed);
        expect(answer.status).toBe(400);
        expect(answer.body.errors).toEqual([expect.objectContaining({ field: 'token' })]);
      }
      expect((await api.verify('B'.repeat(43))).status).toBe(400);
    });

    it('refuses an expired token with 400 (second instance with a one-second lifetime, same database)', async () => {
      const shortLived = await startService(
        'account',
        accountEnv(db.url, signingKey, { ACCOUNT_TOKEN_TTL_SECONDS: '1' }),
      );
      try {
        const email = newEmail('Expired');
        await signUpAndVerify(email);
        expect((await new AccountApi(shortLived.url).requestReset(email)).status).toBe(202);
        const mails = await mail.waitFor(email, 2);
        await delay(1500);
        const answer = await api.setPassword(
          mailedLink(mails[1]!, '/set-password').token,
          'too late for this',
        );
        expect(answer.status).toBe(400);
        expect(answer.body.type).toMatch(/invalid-token$/);
        expect((await api.signIn(email)).status).toBe(200);
      } finally {
        await shortLived.stop();
      }
    });
  });

  describe('indistinguishable answers', () => {
    it('sign-in with an unknown email answers exactly like a wrong password', async () => {
      const known = newEmail('Known');
      await signUpAndVerify(known);
      const wrong = await api.signIn(known, 'not the password at all');
      const unknown = await api.signIn(newEmail('Nobody'), 'not the password at all');
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(wrong.status);
      expect(unknown.body).toEqual(wrong.body);
    });

    it('password reset answers the same for known and unknown emails, and mails only the known one', async () => {
      const known = newEmail('KnownReset');
      const nobody = newEmail('NobodyReset');
      await signUpAndVerify(known);
      const a = await api.requestReset(known);
      const b = await api.requestReset(nobody);
      expect(a.status).toBe(202);
      expect(b.status).toBe(a.status);
      expect(b.body).toEqual(a.body);
      await mail.waitFor(known, 2);
      // Each request committed its mails before it was answered: none was queued for nobody.
      expect((await stored(nobody)).mails).toEqual([]);
      expect((await stored(known)).mails).toEqual(['verify-email', 'password-reset']);
      expect(await mail.mailsTo(nobody)).toHaveLength(0);
    });
  });

  describe('access tokens', () => {
    it('are EdDSA JWTs with the contract claims that verify with the served JWKS', async () => {
      const email = newEmail('Jwt');
      await signUpAndVerify(email);
      const answer = await api.signIn(email);
      expect(answer.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
      const [header, payload] = (answer.body.accessToken as string)
        .split('.')
        .slice(0, 2)
        .map((part) => part && JSON.parse(Buffer.from(part, 'base64url').toString()));
      const jwks = await api.request('GET', '/.well-known/jwks.json');
      expect(jwks.body.keys).toEqual([
        expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', kid: header.kid }),
      ]);
      expect(header).toMatchObject({ alg: 'EdDSA', typ: 'JWT' });
      expect(payload).toEqual({
        sub: expect.stringMatching(/^[0-9a-f-]{36}$/),
        email,
        roles: [],
        iat: expect.any(Number),
        exp: payload.iat + 900,
        iss: 'urn:order-to-license:account',
        aud: 'urn:order-to-license:api',
      });
    });

    it('verify in another service through the shared library, from the served JWKS (no shared secret)', async () => {
      const email = newEmail('Elsewhere');
      await signUpAndVerify(email);
      const token = await accessTokenOf(email);
      const jwks = new JwksClient({ url: `${service.url}/.well-known/jwks.json` });
      const verify = (candidate: string) =>
        verifyAccessToken(candidate, {
          keysByKid: (kid) => jwks.getKey(kid),
          issuer: DEFAULT_ACCESS_TOKEN_ISSUER,
          audience: DEFAULT_ACCESS_TOKEN_AUDIENCE,
        });
      expect(await verify(token)).toMatchObject({ email, roles: [] });
      await expect(verify(`${token.slice(0, -4)}AAAA`)).rejects.toThrow(InvalidTokenError);
    });

    it('answers 401 on /v1/me for a tampered payload, alg none, a wrong key and an expired token', async () => {
      const email = newEmail('Forged');
      await signUpAndVerify(email);
      const good = await accessTokenOf(email);
      const [header, payload, signature] = good.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const serviceKey = parsePrivateKey(signingKey);
      const otherKey = generateKeyPairSync('ed25519').privateKey;
      const options = { issuer: claims.iss, audience: claims.aud, ttlSeconds: 900 };
      const subject = { sub: claims.sub, email, roles: ['sales-manager'] };

      const forged = {
        tampered: `${header}.${encode({ ...claims, sub: randomUUID() })}.${signature}`,
        'alg none': `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`,
        'wrong key': signAccessToken(subject, {
          ...options,
          key: otherKey,
          kid: JSON.parse(Buffer.from(header, 'base64url').toString()).kid,
        }),
        'other kid': signAccessToken(subject, { ...options, key: otherKey, kid: jwkThumbprint(otherKey) }),
        expired: signAccessToken(subject, {
          ...options,
          key: serviceKey,
          kid: jwkThumbprint(serviceKey),
          now: new Date(Date.now() - 3600_000),
        }),
      };
      expect((await api.me(good)).status).toBe(200);
      for (const [what, token] of Object.entries(forged)) {
        const answer = await api.me(token);
        expect({ what, status: answer.status }).toEqual({ what, status: 401 });
        expect(answer.headers.get('www-authenticate')).toContain('invalid_token');
      }
      expect((await api.request('GET', '/v1/me')).status).toBe(401);
    });
  });

  describe('bad input', () => {
    const cases: [string, unknown, string][] = [
      ['email missing', { password: PASSWORD, name: 'A' }, 'email'],
      ['email not an address', { email: 'not-an-email', password: PASSWORD, name: 'A' }, 'email'],
      ['email a number', { email: 42, password: PASSWORD, name: 'A' }, 'email'],
      ['password too short', { email: newEmail('Bad'), password: 'short', name: 'A' }, 'password'],
      ['password too long', { email: newEmail('Bad'), password: 'x'.repeat(257), name: 'A' }, 'password'],
      ['password missing', { email: newEmail('Bad'), name: 'A' }, 'password'],
      ['name missing', { email: newEmail('Bad'), password: PASSWORD }, 'name'],
      ['name empty', { email: newEmail('Bad'), password: PASSWORD, name: '' }, 'name'],
      ['company a number', { email: newEmail('Bad'), password: PASSWORD, name: 'A', company: 7 }, 'company'],
      [
        'unknown field',
        { email: newEmail('Bad'), password: PASSWORD, name: 'A', role: 'sales-manager' },
        'role',
      ],
      ['name too long', { email: newEmail('Bad'), password: PASSWORD, name: 'n'.repeat(201) }, 'name'],
    ];

    it.each(cases)(
      'POST /v1/accounts with %s is a 400 naming the field and stores nothing',
      async (_case, body, field) => {
        const before = await storedCounts(db.url);
        const answer = await api.request('POST', '/v1/accounts', body);
        expect(answer.status).toBe(400);
        expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect((answer.body.errors as { field: string }[]).map((error) => error.field)).toContain(field);
        expect(await storedCounts(db.url)).toEqual(before);
      },
    );

    it.each([
      ['/v1/auth/token', { email: 'a@example.com' }, 'password'],
      ['/v1/auth/token', { email: 'a@example.com', password: PASSWORD, remember: true }, 'remember'],
      ['/v1/auth/password-reset', { email: 'nope' }, 'email'],
      ['/v1/auth/password-reset/confirm', { token: 'A'.repeat(43), password: 'short' }, 'password'],
      ['/v1/accounts/verification', {}, 'token'],
    ])('POST %s with %j is a 400 naming %s', async (path, body, field) => {
      const answer = await api.request('POST', path, body);
      expect(answer.status).toBe(400);
      expect((answer.body.errors as { field: string }[]).map((error) => error.field)).toContain(field);
    });

    it('a body that is not JSON is a 400 and stores nothing', async () => {
      const before = await storedCounts(db.url);
      const answer = await api.request('POST', '/v1/accounts', '{"email": ');
      expect(answer.status).toBe(400);
      expect(await storedCounts(db.url)).toEqual(before);
    });
  });

  describe('staff (npm run account:create-staff)', () => {
    const createStaff = (...args: string[]) => runCreateStaff(db.url, ...args);

    it('creates a staff account, prints and mails a set-password link; its tokens carry the role', async () => {
      const email = newEmail('Rep');
      const made = createStaff('--email', email, '--role', 'sales-rep');
      expect(made.stderr).toBe('');
      expect(made.status).toBe(0);
      const printed = made.stdout.match(/https:\S+/)?.[0];
      expect(printed).toMatch(new RegExp(`^${PORTAL_URL}/set-password\\?token=`));
      const [mailed] = await mail.waitFor(email);
      expect(mailed!.text).toContain(printed);

      expect((await api.setPassword(new URL(printed!).searchParams.get('token')!)).status).toBe(204);
      expect(claimsOf(await accessTokenOf(email)).roles).toEqual(['sales-rep']);

      expect(createStaff('--email', email.toUpperCase(), '--role', 'sales-manager').status).toBe(0);
      expect(claimsOf(await accessTokenOf(email)).roles).toEqual(['sales-manager']);
    });

    it('refuses a role for a customer with purchases, and bad arguments', async () => {
      const email = newEmail('Customer');
      const purchaseId = await store.order(email);
      await waitForAssignment(purchaseId);
      const refused = createStaff('--email', email, '--role', 'sales-rep');
      expect(refused.status).toBe(65);
      expect(refused.stderr).toMatch(/customer account/);
      expect(createStaff('--email', email, '--role', 'admin').status).toBe(64);
      expect(createStaff('--role', 'sales-rep').status).toBe(64);
    });
  });

  describe('service surface', () => {
    it('serves health, metrics and its OpenAPI document, and refuses bodies over 256 KiB', async () => {
      await expectServiceSurface(service.url, {
        paths: [
          '/v1/accounts',
          '/v1/accounts/verification',
          '/v1/auth/token',
          '/v1/auth/token/refresh',
          '/v1/auth/logout',
          '/v1/auth/password-reset',
          '/v1/auth/password-reset/confirm',
          '/v1/me',
          '/.well-known/jwks.json',
        ],
        metrics: [
          /inbox_records_total\{[^}]*outcome="applied"/,
          /mail_deliveries_total\{/,
          /forwarder_lag_seconds/,
        ],
      });
      const before = await storedCounts(db.url);
      await expectBodyTooLarge(service.url, '/v1/accounts');
      expect(await storedCounts(db.url)).toEqual(before);
    });
  });

  describe('rate limits', () => {
    it('the 11th failed sign-in within a minute for one account is a 429 with retry-after, even with the right password', async () => {
      const email = newEmail('Limited');
      await signUpAndVerify(email);
      for (let attempt = 1; attempt <= 10; attempt++) {
        expect((await api.signIn(email, `wrong password ${attempt}`)).status).toBe(401);
      }
      const limited = await api.signIn(email.toUpperCase(), 'wrong password 11');
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      expect((await api.signIn(email)).status).toBe(429);
    });

    it('failed sign-ins from one client address are limited across accounts', async () => {
      const client = { 'x-forwarded-for': `203.0.113.${Math.floor(Math.random() * 250) + 1}` };
      const spray = () =>
        api.request('POST', '/v1/auth/token', { email: newEmail('Spray'), password: 'guess' }, client);
      for (let attempt = 1; attempt <= 20; attempt++) expect((await spray()).status).toBe(401);
      const limited = await spray();
      expect(limited.status).toBe(429);
      // Another client is not affected.
      expect((await api.signIn(newEmail('Spray'), 'guess')).status).toBe(401);
    });
  });

  async function inboxCount(outcome: string): Promise<number> {
    const text = await (await fetch(`${service.url}/metrics`)).text();
    const line = text
      .split('\n')
      .find((row) => row.startsWith('inbox_records_total{') && row.includes(`outcome="${outcome}"`));
    return line ? Number(line.split(' ').at(-1)) : 0;
  }
});
