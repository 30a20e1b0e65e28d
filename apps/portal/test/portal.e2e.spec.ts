import { randomUUID } from 'node:crypto';
import type { LicenseFile } from '@otl/licensing';
import { eventually, expectServiceSurface, MailCatcher, startPlatform, type Platform } from '@otl/testing';
import {
  ageAccessTokens,
  Browser,
  JS,
  PASSWORD,
  sessionTokens,
  setPasswordLink,
  TWAIN,
  verifiedPayload,
} from './support';

describe('portal backend-for-frontend (running services, real Postgres, Kafka and MailDev)', () => {
  const mail = new MailCatcher();
  let platform: Platform;

  beforeAll(async () => {
    platform = await startPlatform({ label: 'portal_e2e' });
  });

  afterAll(async () => {
    await platform?.stop();
  });

  /** A store buyer who set a password from the mailed link and signed in through the portal. */
  async function signedInBuyer(
    items = [JS, TWAIN],
  ): Promise<{ browser: Browser; email: string; purchaseId: string }> {
    const email = `Buyer.${randomUUID().slice(0, 8)}@example.com`;
    const purchaseId = await platform.store.order(email, 'Portal Buyer', items);
    const { url, token } = await setPasswordLink(mail, email);
    expect(url.origin).toBe(new URL(platform.portal.url.replace('127.0.0.1', 'localhost')).origin);
    const browser = new Browser(platform.portal.url);
    expect(
      (await browser.request('POST', '/v1/password-reset/confirm', { token, password: PASSWORD })).status,
    ).toBe(204);
    const signedIn = await browser.request('POST', '/v1/session', { email, password: PASSWORD });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body).toMatchObject({ email, name: 'Portal Buyer' });
    return { browser, email, purchaseId };
  }

  async function itemsOf(browser: Browser, count: number): Promise<{ itemId: string; status: string }[]> {
    return eventually(
      async () => {
        const answer = await browser.request('GET', '/v1/license-items');
        return answer.status === 200 && answer.body.length >= count
          ? (answer.body as { itemId: string; status: string }[])
          : undefined;
      },
      { what: `${count} licence items`, timeoutMs: 20_000 },
    );
  }

  it('serves health, metrics and its OpenAPI document', async () => {
    await expectServiceSurface(platform.portal.url, {
      paths: ['/v1/session', '/v1/license-items', '/v1/licenses/{id}/activation', '/v1/usage/licenses/{id}'],
      metrics: [/portal_sign_ins_total/, /portal_token_refreshes_total/],
      checks: { database: 'up' },
    });
  });

  it('signs in with an HttpOnly, SameSite=Strict cookie and never hands the browser a token', async () => {
    const email = `Cookie.${randomUUID().slice(0, 8)}@example.com`;
    await platform.store.order(email, 'Cookie Buyer');
    const { token } = await setPasswordLink(mail, email);
    const browser = new Browser(platform.portal.url);
    await browser.request('POST', '/v1/password-reset/confirm', { token, password: PASSWORD });
    const response = await fetch(`${platform.portal.url}/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: platform.portal.url },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(response.status).toBe(200);
    const cookie = response.headers.get('set-cookie')!;
    // On localhost: not Secure, so not __Host- prefixed either.
    expect(cookie).toMatch(
      /^portal_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/,
    );
    const text = await response.text();
    expect(text).not.toMatch(/eyJ|refreshToken|accessToken/);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it("refuses a wrong password with the account service's generic 401 and sets no cookie", async () => {
    const browser = new Browser(platform.portal.url);
    const answer = await browser.request('POST', '/v1/session', {
      email: 'nobody@example.com',
      password: 'wrong password!',
    });
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ type: expect.stringMatching(/invalid-credentials$/) });
    expect(answer.headers.get('set-cookie')).toBeNull();
  });

  it("passes the services' field errors through", async () => {
    const browser = new Browser(platform.portal.url);
    const answer = await browser.request('POST', '/v1/accounts', {
      email: 'short.password@example.com',
      password: 'short',
      name: 'Short',
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ errors: [expect.objectContaining({ field: 'password' })] });
    const unknown = await browser.request('POST', '/v1/session', {
      email: 'a@example.com',
      password: 'x',
      admin: true,
    });
    expect(unknown.status).toBe(400);
  });

  it('refuses unsafe requests from another origin, or without one (CSRF)', async () => {
    const evil = new Browser(platform.portal.url, 'https://evil.example');
    const answer = await evil.request('POST', '/v1/session', { email: 'a@example.com', password: PASSWORD });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ type: expect.stringMatching(/origin-refused$/) });
    const response = await fetch(`${platform.portal.url}/v1/session`, { method: 'DELETE' });
    expect(response.status).toBe(403);
  });

  it('takes a buyer from the store purchase to a signed licence file, like the seed page', async () => {
    const { browser } = await signedInBuyer();
    const items = await itemsOf(browser, 2);
    expect(items.map((item) => item.status)).toEqual(['available', 'available']);
    const generated = await browser.request('POST', '/v1/licenses', {
      itemIds: items.map((item) => item.itemId),
    });
    expect(generated.status).toBe(201);
    const licenseId = generated.body.licenseId as string;
    expect((await browser.request('GET', `/v1/licenses/${licenseId}/file`)).status).toBe(409);
    const activated = await browser.request('POST', `/v1/licenses/${licenseId}/activation`, {
      trackingMode: 'self-hosted',
      ltsInstanceId: 'lts-e2e-site',
    });
    expect(activated.status).toBe(200);
    expect(activated.body).toMatchObject({
      status: 'activated',
      trackingMode: 'self-hosted',
      ltsInstanceId: 'lts-e2e-site',
    });
    const file = await browser.request('GET', `/v1/licenses/${licenseId}/file`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toMatch(/^attachment/);
    const payload = await verifiedPayload(platform, JSON.parse(file.text) as LicenseFile);
    expect(payload).toMatchObject({ licenseId, trackingMode: 'self-hosted', ltsInstanceId: 'lts-e2e-site' });
    const usage = await browser.request('GET', `/v1/usage/licenses/${licenseId}`);
    expect(usage.status).toBe(200);
    expect(usage.body).toEqual({ licenseId, trackingMode: 'self-hosted', products: null });
  });

  it("shows a vendor-hosted licence's usage from the tracking service", async () => {
    const { browser } = await signedInBuyer([JS]);
    const [item] = await itemsOf(browser, 1);
    const generated = await browser.request('POST', '/v1/licenses', { itemIds: [item!.itemId] });
    const licenseId = generated.body.licenseId as string;
    await browser.request('POST', `/v1/licenses/${licenseId}/activation`, { trackingMode: 'vendor-hosted' });
    const usage = await eventually(
      async () => {
        const answer = await browser.request('GET', `/v1/usage/licenses/${licenseId}`);
        // Until tracking has applied the activation, the licence has no products to track.
        const products = answer.body.products as unknown[] | null | undefined;
        return answer.status === 200 && Array.isArray(products) && products.length > 0
          ? answer.body
          : undefined;
      },
      { what: 'usage of the licence', timeoutMs: 20_000 },
    );
    expect(usage.products).toEqual([
      expect.objectContaining({
        product: 'barcode-reader-js',
        seatsTotal: 2,
        seatsInUse: 0,
        history: expect.any(Array),
      }),
    ]);
  });

  it("answers 404 for another customer's licence, exactly as for none", async () => {
    const first = await signedInBuyer([JS]);
    const [item] = await itemsOf(first.browser, 1);
    const licenseId = (await first.browser.request('POST', '/v1/licenses', { itemIds: [item!.itemId] })).body
      .licenseId as string;
    const second = await signedInBuyer([TWAIN]);
    for (const path of [
      `/v1/licenses/${licenseId}`,
      `/v1/licenses/${licenseId}/file`,
      `/v1/usage/licenses/${licenseId}`,
    ]) {
      expect({ path, status: (await second.browser.request('GET', path)).status }).toEqual({
        path,
        status: 404,
      });
    }
    expect((await second.browser.request('GET', `/v1/licenses/${randomUUID()}`)).status).toBe(404);
    expect((await second.browser.request('GET', '/v1/licenses/not-a-uuid')).status).toBe(404);
  });

  it("renews the access token behind the customer's back, presenting each refresh token once", async () => {
    const { browser } = await signedInBuyer([JS]);
    const [before] = await sessionTokens(platform).then((all) => all.slice(-1));
    await ageAccessTokens(platform);
    // Concurrent requests of one session share one renewal (a second would be a replay).
    const answers = await Promise.all(Array.from({ length: 8 }, () => browser.request('GET', '/v1/session')));
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    const [after] = await sessionTokens(platform).then((all) => all.slice(-1));
    expect(after!.refreshToken).not.toBe(before!.refreshToken);
    expect((await browser.request('GET', '/v1/license-items')).status).toBe(200);
  });

  it('ends the session when a retired refresh token is replayed (the whole sign-in is revoked)', async () => {
    const { browser } = await signedInBuyer([JS]);
    const [stolen] = await sessionTokens(platform).then((all) => all.slice(-1));
    await ageAccessTokens(platform);
    expect((await browser.request('GET', '/v1/session')).status).toBe(200); // renewed: `stolen` is retired
    const replay = await fetch(`${platform.account.url}/v1/auth/token/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: stolen!.refreshToken }),
    });
    expect(replay.status).toBe(401);
    await ageAccessTokens(platform);
    const after = await browser.request('GET', '/v1/session');
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ type: expect.stringMatching(/session-ended$/) });
  });

  it('signs out: the old cookie is refused afterwards and the refresh token is revoked', async () => {
    const { browser } = await signedInBuyer([JS]);
    const cookie = browser.cookie;
    const [tokens] = await sessionTokens(platform).then((all) => all.slice(-1));
    const out = await browser.request('DELETE', '/v1/session');
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    const replayed = new Browser(platform.portal.url);
    replayed.cookie = cookie;
    expect((await replayed.request('GET', '/v1/license-items')).status).toBe(401);
    const refresh = await fetch(`${platform.account.url}/v1/auth/token/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: tokens!.refreshToken }),
    });
    expect(refresh.status).toBe(401);
  });

  it('starts a new session id at every sign-in and ends the one the browser had (no fixation)', async () => {
    const { browser, email } = await signedInBuyer([JS]);
    const before = browser.cookie;
    const [old] = await sessionTokens(platform).then((all) => all.slice(-1));
    expect((await browser.request('POST', '/v1/session', { email, password: PASSWORD })).status).toBe(200);
    expect(browser.cookie).not.toBe(before);
    expect((await browser.request('GET', '/v1/session')).status).toBe(200);
    const stale = new Browser(platform.portal.url);
    stale.cookie = before;
    expect((await stale.request('GET', '/v1/session')).status).toBe(401);
    const refresh = await fetch(`${platform.account.url}/v1/auth/token/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: old!.refreshToken }),
    });
    expect(refresh.status).toBe(401);
  });

  it('stores no token in the clear', async () => {
    await signedInBuyer([JS]);
    const [tokens] = await sessionTokens(platform).then((all) => all.slice(-1));
    const { Client } = await import('pg');
    const client = new Client({ connectionString: platform.portalDb.url });
    await client.connect();
    const { rows } = await client.query<{ dump: string }>(
      "SELECT string_agg(t::text, '|') AS dump FROM portal_sessions t",
    );
    await client.end();
    expect(rows[0]!.dump).not.toContain(tokens!.refreshToken);
    expect(rows[0]!.dump).not.toContain(tokens!.accessToken.split('.')[1]);
  });

  it('serves the app with a strict content security policy, and its pages by address', async () => {
    for (const path of [
      '/',
      '/sign-in',
      '/licenses',
      `/licenses/${randomUUID()}`,
      '/set-password?token=abc',
    ]) {
      const response = await fetch(`${platform.portal.url}${path}`, { headers: { accept: 'text/html' } });
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      const policy = response.headers.get('content-security-policy')!;
      expect(policy).toContain("script-src 'self'");
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).not.toContain('unsafe-inline');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      const html = await response.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    }
    const unknown = await fetch(`${platform.portal.url}/no/such/page`, { headers: { accept: 'text/html' } });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^text\/html/);
    const api = await fetch(`${platform.portal.url}/v1/nothing`, { headers: { accept: 'text/html' } });
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('serves the built assets compressed and cached for good', async () => {
    const html = await (await fetch(`${platform.portal.url}/`)).text();
    const script = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const response = await fetch(`${platform.portal.url}${script}`, { headers: { 'accept-encoding': 'br' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(response.headers.get('content-type')).toMatch(/^text\/javascript/);
    const missing = await fetch(`${platform.portal.url}/assets/nothing-here.js`);
    expect(missing.status).toBe(404);
  });

  it('says usage is not available while the tracking service is down, without failing the page', async () => {
    const { browser } = await signedInBuyer([JS]);
    const [item] = await itemsOf(browser, 1);
    const licenseId = (await browser.request('POST', '/v1/licenses', { itemIds: [item!.itemId] })).body
      .licenseId as string;
    await platform.tracking.stop();
    try {
      const usage = await browser.request('GET', `/v1/usage/licenses/${licenseId}`);
      expect(usage.status).toBe(503);
      expect(usage.body).toMatchObject({ type: expect.stringMatching(/usage-unavailable$/) });
      expect(usage.headers.get('retry-after')).toBe('5');
      expect((await browser.request('GET', `/v1/licenses/${licenseId}`)).status).toBe(200);
    } finally {
      await platform.restart('tracking');
    }
  });
});
