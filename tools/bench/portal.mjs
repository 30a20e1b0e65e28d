#!/usr/bin/env node
// Customer portal: the size of the app's first load, and in Chromium the time from a click to the
// rendered result for "Generate one License" and for opening License Detail, with the stack idle.
//
//   npm run bench:portal [-- --rounds 30]
//
// Starts its own Postgres, Kafka and MailDev on bench ports (throwaway data), then store-webhook,
// account, license, tracking and the portal (one instance each); one buyer with --rounds store orders
// of two items each; signs in through the portal in Debian's Chromium (CHROMIUM_PATH, default
// /usr/bin/chromium). Each round opens Licenses, checks the two items of one order and clicks
// "Generate one License" (timed until License Detail shows the new key), then goes back to Licenses
// and clicks the licence's link (timed until its detail shows the key).
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { build, repoRoot } from '../stack/bootstrap.mjs';
import {
  fmt,
  maildevToken,
  newWebhookSecret,
  percentile,
  deliverStoreWebhook,
  startBenchInfra,
  startService,
} from './lib.mjs';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '30' } } });
const ROUNDS = Number(values.rounds);
const PASSWORD = 'correct horse battery staple';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ed25519 = () =>
  Buffer.from(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' })).toString(
    'base64',
  );

if (!process.env.BENCH_SKIP_BUILD) await build();

// 1. What the browser downloads before the first page draws: index.html's scripts, preloads and styles.
const webDir = join(repoRoot, 'dist', 'portal-web');
const html = readFileSync(join(webDir, 'index.html'), 'utf8');
const referenced = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]);
let jsRaw = 0;
let jsGzip = 0;
let jsBrotli = 0;
let cssGzip = 0;
for (const path of new Set(referenced)) {
  const bytes = readFileSync(join(webDir, path));
  if (path.endsWith('.js')) {
    jsRaw += bytes.length;
    jsGzip += gzipSync(bytes).length;
    jsBrotli += brotliCompressSync(bytes).length;
  } else if (path.endsWith('.css')) cssGzip += gzipSync(bytes).length;
}
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
console.log('\nFirst load (goal: JavaScript under 200 KB gzipped)');
console.log(
  `  JavaScript: ${kb(jsRaw)} raw, ${kb(jsGzip)} gzip, ${kb(jsBrotli)} brotli (served brotli when accepted)`,
);
console.log(`  CSS: ${kb(cssGzip)} gzip`);

const infra = await startBenchInfra();
const services = [];
let browser;
try {
  await infra.topics(
    ['purchases.v1', 'accounts.v1', 'licenses.v1', 'usage.v1'].flatMap((t) => [t, `${t}.dlq`]),
  );
  const secret = newWebhookSecret();
  const portalUrl = 'http://localhost:3180';
  const store = await startService('store-webhook', 3181, {
    DATABASE_URL: await infra.database('store_webhook'),
    KAFKA_BROKERS: infra.brokers,
    STORE_WEBHOOK_SECRET: secret,
  });
  services.push(store);
  const account = await startService('account', 3184, {
    DATABASE_URL: await infra.database('account'),
    KAFKA_BROKERS: infra.brokers,
    SMTP_URL: infra.smtpUrl,
    ACCESS_TOKEN_SIGNING_KEY: ed25519(),
    PORTAL_URL: portalUrl,
  });
  services.push(account);
  const jwks = `${account.url}/.well-known/jwks.json`;
  const license = await startService('license', 3185, {
    DATABASE_URL: await infra.database('license'),
    KAFKA_BROKERS: infra.brokers,
    LICENSE_SIGNING_KEY: ed25519(),
    ACCESS_TOKEN_JWKS_URL: jwks,
  });
  services.push(license);
  const tracking = await startService('tracking', 3186, {
    DATABASE_URL: await infra.database('tracking'),
    KAFKA_BROKERS: infra.brokers,
    ACCESS_TOKEN_JWKS_URL: jwks,
  });
  services.push(tracking);
  const portal = await startService('portal', 3180, {
    DATABASE_URL: await infra.database('portal'),
    PORTAL_URL: portalUrl,
    PORTAL_SESSION_KEY: randomBytes(32).toString('hex'),
    ACCOUNT_URL: account.url,
    LICENSE_URL: license.url,
    TRACKING_URL: tracking.url,
  });
  services.push(portal);

  // 2. One buyer, ROUNDS orders of two items each.
  const email = `bench.${randomUUID().slice(0, 8)}@example.com`;
  for (let i = 0; i < ROUNDS; i++) {
    const body = JSON.stringify({
      type: 'order.completed',
      data: {
        orderId: `PORTAL-BENCH-${i}-${randomUUID().slice(0, 6)}`,
        completedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        currency: 'USD',
        customer: { email, name: 'Bench Buyer', company: null },
        items: [
          { sku: 'BARCODE-JS-DEVICE-1Y', quantity: 2, unitPrice: '1249.00' },
          { sku: 'WEBTWAIN-PRO-DOMAIN-1Y', quantity: 1, unitPrice: '899.00' },
        ],
        total: '3397.00',
      },
    });
    const answer = await deliverStoreWebhook(store.url, secret, body);
    if (answer.status !== 202) throw new Error(`store webhook answered ${answer.status}`);
  }
  const token = await maildevToken(infra.maildevUrl, email);
  const set = await fetch(`${account.url}/v1/auth/password-reset/confirm`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, password: PASSWORD }),
  });
  if (set.status !== 204) throw new Error(`setting the password answered ${set.status}`);

  const { args } = JSON.parse(readFileSync(join(repoRoot, 'tools', 'infra', 'chromium.json'), 'utf8'));
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args });
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await page.goto(`${portalUrl}/sign-in`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Generate License(s)' }).waitFor();
  // Wait for every item to arrive (the consumers are asynchronous), reloading as a person would.
  for (let tries = 0; (await page.getByRole('checkbox').count()) < ROUNDS * 2; tries++) {
    if (tries > 120) throw new Error('the purchased items did not all arrive within a minute');
    await new Promise((resume) => setTimeout(resume, 500));
    await page.reload();
    await page.getByRole('heading', { name: 'Generate License(s)' }).waitFor();
  }

  // 3. The timed clicks, measured inside the page: from the click event to the frame after the
  // License Detail heading and the licence key are both in the page (a MutationObserver sees them).
  const armTimer = () =>
    page.evaluate(() => {
      const marks = /** @type {{ click?: number, done?: number }} */ ({});
      Object.assign(window, { __marks: marks });
      document.addEventListener('click', () => (marks.click ??= performance.now()), {
        capture: true,
        once: true,
      });
      const observer = new MutationObserver(() => {
        const heading = document.querySelector('h1')?.textContent === 'License Detail';
        if (!heading || !document.querySelector('main')?.textContent?.includes('OTL1-')) return;
        observer.disconnect();
        requestAnimationFrame(() => (marks.done = performance.now()));
      });
      observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    });
  const elapsed = async () => {
    await page.waitForFunction(() => /** @type {any} */ (window).__marks.done !== undefined);
    return page.evaluate(() => {
      const { click, done } = /** @type {any} */ (window).__marks;
      return done - click;
    });
  };
  const generate = [];
  const detail = [];
  const api = [];
  for (let round = 0; round < ROUNDS; round++) {
    await page.goto(`${portalUrl}/licenses`);
    await page.getByRole('heading', { name: 'Generate License(s)' }).waitFor();
    const boxes = page.getByRole('checkbox');
    await boxes.first().waitFor();
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await armTimer();
    await page.getByRole('button', { name: 'Generate one License' }).click();
    generate.push(await elapsed());
    const licensePath = new URL(page.url()).pathname;

    await page.goto(`${portalUrl}/licenses`);
    await page.getByRole('heading', { name: 'Generate License(s)' }).waitFor();
    const link = page.locator(`a[href="${licensePath}"]`).first();
    await link.waitFor();
    await armTimer();
    await link.click();
    detail.push(await elapsed());

    // The server's share: the same licence read through the portal, without the browser.
    const started = performance.now();
    const answer = await page.request.get(`${portalUrl}/v1${licensePath}`);
    if (answer.status() !== 200) throw new Error(`GET ${licensePath} answered ${answer.status()}`);
    api.push(performance.now() - started);
  }
  const row = (name, samples) =>
    `  ${name.padEnd(24)} p50 ${fmt(percentile(samples, 50)).padStart(6)} ms   p95 ${fmt(percentile(samples, 95)).padStart(6)} ms   max ${fmt(Math.max(...samples)).padStart(6)} ms   (${samples.length} clicks)`;
  console.log('\nClick to rendered result in Chromium, stack idle (goal: p95 under 300 ms)');
  console.log(row('Generate one License', generate));
  console.log(row('open License Detail', detail));
  console.log(row('GET licence via portal', api));
} finally {
  await browser?.close();
  for (const service of services.reverse()) await service.stop();
  await infra.stop();
}
