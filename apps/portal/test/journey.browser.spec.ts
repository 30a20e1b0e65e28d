/// <reference lib="dom" />
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { LicenseFile } from '@otl/licensing';
import { eventually, MailCatcher, mailedLink, startPlatform, type Platform } from '@otl/testing';
import { explained, launchChromium, lookAt, tabTo } from './browser-support';
import {
  ageAccessTokens,
  JS,
  PASSWORD,
  sessionTokens,
  setPasswordLink,
  TWAIN,
  verifiedPayload,
} from './support';

/**
 * The seed page's journey in Chromium, as a person finds things: by role and accessible name.
 * Access tokens live 30 s here, so the portal renews them during the journey without the customer
 * noticing (a cut-off would send the page back to sign-in).
 */
describe('the customer portal in a real browser (Chromium, the running services)', () => {
  const mail = new MailCatcher();
  let platform: Platform;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [platform, browser] = await Promise.all([
      startPlatform({ label: 'portal_browser', accessTokenTtlSeconds: 30 }),
      launchChromium(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });

  const portalUrl = (path = '/') => `${platform.portal.url.replace('127.0.0.1', 'localhost')}${path}`;

  async function newPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
    const context = await browser.newContext({ viewport, acceptDownloads: true });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    return page;
  }

  async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
    await explained(page, 'sign-in', async () => {
      await page.goto(portalUrl('/sign-in'));
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password', { exact: true }).fill(password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByRole('heading', { name: 'Generate License(s)' }).waitFor();
    });
  }

  /** A store buyer with a password set through the API (for the tests that are not about that). */
  async function buyer(items = [JS]): Promise<{ email: string; purchaseId: string }> {
    const email = `Buyer.${randomUUID().slice(0, 8)}@example.com`;
    const purchaseId = await platform.store.order(email, 'Browser Buyer', items);
    const { token } = await setPasswordLink(mail, email);
    const response = await fetch(`${platform.account.url}/v1/auth/password-reset/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, password: PASSWORD }),
    });
    expect(response.status).toBe(204);
    return { email, purchaseId };
  }

  /** Waits until the buyer's items have arrived (the page is reloaded until they show). */
  async function waitForItems(page: Page, count: number): Promise<void> {
    await eventually(
      async () => {
        const buttons = await page.getByRole('button', { name: 'Generate License', exact: true }).count();
        if (buttons >= count) return true;
        await page.reload();
        await page.getByRole('heading', { name: 'Generate License(s)' }).waitFor();
        return undefined;
      },
      { what: `${count} items on the page`, timeoutMs: 30_000, intervalMs: 500 },
    );
  }

  it('takes a store buyer from the mailed link to a verified licence file (the seed page)', async () => {
    const email = `Seed.${randomUUID().slice(0, 8)}@example.com`;
    await platform.store.order(email, 'Seed Buyer', [JS, TWAIN]);
    const { url } = await setPasswordLink(mail, email);
    expect(url.origin).toBe(new URL(portalUrl()).origin);

    const page = await newPage();
    await page.goto(url.toString());
    await page.getByRole('heading', { name: /set (a|your) password/i }).waitFor();
    expect(page.url()).not.toContain('token='); // taken out of the address bar once read
    await lookAt(page, '01-set-password');
    await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Confirm new password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByText('Your password is set.').waitFor();

    await page.getByRole('link', { name: 'Sign in' }).first().click();
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    await lookAt(page, '02-sign-in');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();

    await page.getByRole('heading', { name: 'Generate License(s)' }).waitFor();
    await waitForItems(page, 2);
    await page.getByText('BARCODE-JS-DEVICE-1Y').first().waitFor();
    await lookAt(page, '03-licenses');
    for (const box of await page.getByRole('checkbox').all()) await box.check();
    await page.getByRole('button', { name: 'Generate one License' }).click();

    await page.getByRole('heading', { name: 'License Detail' }).waitFor();
    const licenseId = /\/licenses\/([0-9a-f-]{36})$/.exec(page.url())?.[1];
    expect(licenseId).toBeDefined();
    await page.getByText('WEBTWAIN-PRO-DOMAIN-1Y').first().waitFor();
    await lookAt(page, '04-license-detail');

    await page.getByRole('button', { name: 'Activate', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByText(/cannot be undone/i).waitFor();
    await lookAt(page, '05-activate-dialog');
    await dialog.getByLabel('Self-hosting').check();
    await dialog.getByLabel('LTS instance id').fill('lts-7k2mxq9d4rb3t8nw5z1c');
    await dialog.getByRole('button', { name: 'Confirm activation' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText('lts-7k2mxq9d4rb3t8nw5z1c').waitFor();
    await lookAt(page, '06-license-activated');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download License File' }).click(),
    ]);
    const file = JSON.parse(await readFile((await download.path()) as string, 'utf8')) as LicenseFile;
    expect(await verifiedPayload(platform, file)).toMatchObject({
      licenseId,
      trackingMode: 'self-hosted',
      ltsInstanceId: 'lts-7k2mxq9d4rb3t8nw5z1c',
      entitlements: expect.arrayContaining([
        expect.objectContaining({ product: 'barcode-reader-js', seats: 2 }),
        expect.objectContaining({ product: 'web-twain', seats: 1 }),
      ]),
    });
  });

  it('signs up, verifies the email from the mailed link, and signs in', async () => {
    const email = `New.${randomUUID().slice(0, 8)}@example.com`;
    const page = await newPage();
    await page.goto(portalUrl('/sign-in'));
    await page.getByRole('link', { name: /create an account/i }).click();
    await page.getByRole('heading', { name: /create (an|your) account/i }).waitFor();
    await lookAt(page, '07-sign-up');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByLabel('Name', { exact: true }).fill('New Customer');
    await page.getByRole('button', { name: 'Create account' }).click();
    // The account service's field error, next to its field.
    await page.getByText(/12 to 256 characters/).waitFor();
    await lookAt(page, '08-sign-up-field-error');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: /check your email/i }).waitFor();
    await lookAt(page, '09-check-your-email');

    const [mailed] = await mail.waitFor(email);
    const { url } = mailedLink(mailed!, '/verify-email');
    await page.goto(url.toString());
    await page.getByText(/email (address )?(is|has been) verified/i).waitFor();
    await lookAt(page, '10-email-verified');
    await signIn(page, email);
    await page.getByText(/no purchased items yet/i).waitFor();
    await lookAt(page, '11-licenses-empty');
  });

  it('mails a password reset from "Forgot password?"', async () => {
    const { email } = await buyer();
    const page = await newPage();
    await page.goto(portalUrl('/sign-in'));
    await page.getByRole('link', { name: /forgot password/i }).click();
    await page.getByRole('heading', { name: /forgot (your )?password/i }).waitFor();
    await lookAt(page, '12-forgot-password');
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: /send/i }).click();
    await page.getByText(/if an account exists/i).waitFor();
    await mail.waitFor(email, 2); // the first mail was the purchase's set-password link
  });

  it("shows another customer's licence as not found, even by its direct address", async () => {
    const first = await buyer([JS]);
    const page = await newPage();
    await signIn(page, first.email);
    await waitForItems(page, 1);
    await page.getByRole('button', { name: 'Generate License', exact: true }).first().click();
    await page.getByRole('heading', { name: 'License Detail' }).waitFor();
    const detailUrl = page.url();

    const second = await buyer([TWAIN]);
    const other = await newPage();
    await signIn(other, second.email);
    await other.goto(detailUrl);
    await other.getByRole('heading', { name: /not found/i }).waitFor();
    expect(await other.getByRole('button', { name: 'Activate', exact: true }).count()).toBe(0);
    await lookAt(other, '13-not-found');
  });

  it('signs out: the session ends and its old cookie is refused', async () => {
    const { email } = await buyer();
    const page = await newPage();
    await signIn(page, email);
    const cookies = await page.context().cookies();
    const session = cookies.find((cookie) => cookie.name === 'portal_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();

    const replay = await newPage();
    await replay.context().addCookies([session!]);
    const answer = await replay.request.get(portalUrl('/v1/session'));
    expect(answer.status()).toBe(401);
    await replay.goto(portalUrl('/licenses'));
    await replay.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
  });

  it('ends the session when its refresh token is replayed (the sign-in is revoked)', async () => {
    const { email } = await buyer();
    const page = await newPage();
    await signIn(page, email);
    const [stolen] = (await sessionTokens(platform)).slice(-1);
    await ageAccessTokens(platform);
    await page.reload(); // the portal renews the token: `stolen` is now retired
    await page.getByRole('heading', { name: 'Generate License(s)' }).waitFor();
    const replayed = await fetch(`${platform.account.url}/v1/auth/token/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: stolen!.refreshToken }),
    });
    expect(replayed.status).toBe(401);
    await ageAccessTokens(platform);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    await page.getByText(/session has ended/i).waitFor();
    await lookAt(page, '14-session-ended');
  });

  it('generates a licence with the keyboard alone, and fits a 360 px wide screen', async () => {
    const { email } = await buyer([JS]);
    const page = await newPage({ width: 360, height: 740 });
    await page.goto(portalUrl('/sign-in'));
    await tabTo(page, page.getByLabel('Email'));
    await page.keyboard.type(email);
    await tabTo(page, page.getByLabel('Password', { exact: true }));
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Generate License(s)' }).waitFor();
    await waitForItems(page, 1);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await lookAt(page, '15-licenses-360px');
    await tabTo(page, page.getByRole('button', { name: 'Generate License', exact: true }).first());
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'License Detail' }).waitFor();
    await tabTo(page, page.getByRole('button', { name: 'Activate', exact: true }));
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await tabTo(page, dialog.getByLabel('Dynamsoft-hosting'));
    await page.keyboard.press('Space');
    await tabTo(page, dialog.getByRole('button', { name: 'Confirm activation' }));
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('link', { name: 'Download License File' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await lookAt(page, '16-license-detail-360px');
  });
});
