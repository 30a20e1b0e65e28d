import { randomUUID } from 'node:crypto';
import {
  describeHostileInput,
  eventually,
  HOSTILE_CASES,
  MailCatcher,
  startPlatform,
  type HostileTarget,
  type Platform,
} from '@otl/testing';
import { PASSWORD, setPasswordLink } from './support';

/** The portal's edge under the corpus: every case refused before any service behind it is called. */
describe('portal under hostile input (running services, real Postgres and Kafka)', () => {
  const mail = new MailCatcher();
  let platform: Platform;
  let email: string;
  let cookie: string;
  /** Items still available: each good generate request after a case licenses one. */
  let available: string[] = [];

  const send = async (path: string, body: unknown, withCookie = true) => {
    const response = await fetch(`${platform.portal.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: platform.portal.url,
        ...(withCookie ? { cookie } : {}),
      },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      cookie: response.headers.get('set-cookie'),
      body: await response.json(),
    };
  };

  beforeAll(async () => {
    platform = await startPlatform({ label: 'portal_hostile' });
    email = `hostile.${randomUUID().slice(0, 8)}@example.com`;
    const count = HOSTILE_CASES.length + 1;
    const items = Array.from({ length: count }, () => ({
      sku: 'BARCODE-JS-DEVICE-1Y',
      quantity: 1,
      unitPrice: '1249.00',
    }));
    const purchaseId = await platform.store.order(email, 'Hostile Buyer', items);
    const { token } = await setPasswordLink(mail, email);
    const set = await fetch(`${platform.account.url}/v1/auth/password-reset/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, password: PASSWORD }),
    });
    expect(set.status).toBe(204);
    const signedIn = await send('/v1/session', { email, password: PASSWORD }, false);
    expect(signedIn.status).toBe(200);
    cookie = signedIn.cookie!.split(';')[0]!;
    available = await eventually(
      async () => {
        const response = await fetch(`${platform.portal.url}/v1/license-items`, { headers: { cookie } });
        const mine = (
          (await response.json()) as { itemId: string; purchaseId: string; status: string }[]
        ).filter((item) => item.purchaseId === purchaseId && item.status === 'available');
        return mine.length === count ? mine.map((item) => item.itemId) : undefined;
      },
      { what: `${count} items of ${purchaseId}`, timeoutMs: 40_000 },
    );
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const browserHeaders = () => ({ origin: platform.portal.url, cookie });
  const targets: HostileTarget[] = [
    {
      name: 'POST /v1/session',
      path: '/v1/session',
      valid: () => ({ email, password: PASSWORD }),
      field: 'password',
      textField: 'email',
      headers: browserHeaders,
      good: async () => {
        const answer = await send('/v1/session', { email, password: PASSWORD }, false);
        expect(answer.status).toBe(200);
      },
    },
    {
      name: 'POST /v1/licenses',
      path: '/v1/licenses',
      valid: () => ({ itemIds: [randomUUID()] }),
      field: 'itemIds',
      textField: 'itemIds.0',
      headers: browserHeaders,
      good: async () => {
        const answer = await send('/v1/licenses', { itemIds: [available.pop()] });
        expect(answer.status).toBe(201);
      },
    },
  ];

  describeHostileInput({ url: () => platform.portal.url, databaseUrl: () => platform.portalDb.url, targets });
});
