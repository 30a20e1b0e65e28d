import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  sign,
  type KeyObject,
} from 'node:crypto';
import {
  MailCatcher,
  callJson,
  createResellerKey,
  createTestDatabase,
  eventually,
  expectBodyTooLarge,
  mailedLink,
  requireEnv,
  resellerKeyCommand,
  startPlatform,
  startService,
  uniqueName,
  type JsonAnswer,
  type Platform,
  type ResellerKey,
  type RunningService,
  type TestDatabase,
} from '@otl/testing';

/*
 * Checks from the OWASP API Security Top 10 (2023) across the running services: API1 (object-level
 * authorisation), API2 (authentication), API3/API6 (mass assignment of server-owned fields) and API4
 * (resource consumption). Two customer tenants, A and B, buy through the store webhook; B then tries
 * A's objects on every route that takes an id, as the services' OpenAPI documents list them.
 */

const PASSWORD = 'correct horse battery staple';
const JS = { sku: 'BARCODE-JS-DEVICE-1Y', quantity: 1, unitPrice: '1249.00' };
const TWAIN = { sku: 'WEBTWAIN-PRO-DOMAIN-1Y', quantity: 1, unitPrice: '899.00' };
/** Low enough to reach in a spec, high enough for every other reseller call of it. */
const RESELLER_RATE = { requests: 40, windowSeconds: 60 };
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n');

type ServiceName =
  'account' | 'license' | 'tracking' | 'portal' | 'po-intake' | 'reseller-intake' | 'store-webhook';

interface Customer {
  email: string;
  accountId: string;
  token: string;
  /** The portal's session cookie (`portal_session=…`). */
  cookie: string;
  itemIds: string[];
}

interface ItemView {
  itemId: string;
  status: string;
  licenseId: string | null;
}

const short = () => randomUUID().slice(0, 8);

function expectProblem(answer: JsonAnswer, status: number, what = '') {
  const seen = `${what} ${answer.status} ${answer.headers.get('content-type') ?? ''}`.trim();
  expect(seen).toMatch(new RegExp(`^${escape(what)} ?${status} application/problem\\+json`));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// --- Tokens as an attacker makes them (compact JWS by hand, not with the services' own code) ---

const segment = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

function decodeToken(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [header, claims] = token.split('.') as [string, string];
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as Record<string, unknown>,
  };
}

function signedWith(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  signer: (input: Buffer) => Buffer,
): string {
  const input = `${segment(header)}.${segment(claims)}`;
  return `${input}.${signer(Buffer.from(input, 'ascii')).toString('base64url')}`;
}

const ed25519 = (key: KeyObject) => (input: Buffer) => sign(null, input, key);
const hs256 = (secret: Buffer | string) => (input: Buffer) =>
  createHmac('sha256', secret).update(input).digest();

/**
 * Tokens that must all be refused, each claiming to be `victim` (a real token of the victim is the
 * template): only `realKey` is the issuer's key. `other` is a real token of someone else, whose
 * signature the tampered token keeps.
 */
function forgedTokens(victim: string, other: string, realKey: KeyObject): Record<string, string> {
  const { header, claims } = decodeToken(victim);
  const now = Math.floor(Date.now() / 1000);
  const publicKey = createPublicKey(realKey);
  const publicPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const publicX = publicKey.export({ format: 'jwk' }).x!;
  const attacker = generateKeyPairSync('ed25519').privateKey;
  const [otherHeader, , otherSignature] = other.split('.') as [string, string, string];
  return {
    'an expired token (issuer key)': signedWith(
      header,
      { ...claims, iat: now - 3600, exp: now - 1800 },
      ed25519(realKey),
    ),
    'a token signed by a foreign key under the real kid': signedWith(header, claims, ed25519(attacker)),
    'a token signed by a foreign key under its own kid': signedWith(
      { ...header, kid: 'attacker-key' },
      claims,
      ed25519(attacker),
    ),
    'alg none, no signature': `${segment({ ...header, alg: 'none' })}.${segment(claims)}.`,
    'alg none, a signature': signedWith({ ...header, alg: 'none' }, claims, ed25519(attacker)),
    'HS256 keyed with the public key (PEM)': signedWith(
      { ...header, alg: 'HS256' },
      claims,
      hs256(publicPem),
    ),
    'HS256 keyed with the public key (JWK x)': signedWith(
      { ...header, alg: 'HS256' },
      claims,
      hs256(Buffer.from(publicX, 'base64url')),
    ),
    "a tampered payload under another's signature": `${otherHeader}.${segment(claims)}.${otherSignature}`,
    'a token whose payload gained a role': (() => {
      const [h, , s] = victim.split('.') as [string, string, string];
      return `${h}.${segment({ ...claims, roles: ['sales-manager', 'sales-rep'] })}.${s}`;
    })(),
  };
}

describe('OWASP API Security Top 10 across the services (running services, real Postgres, Kafka and MailDev)', () => {
  const mail = new MailCatcher();
  let platform: Platform;
  let resellerDb: TestDatabase;
  let reseller: RunningService;
  let a: Customer;
  let b: Customer;
  /** A's licences: activated vendor-hosted with a lease (`active`), and generated only (`pending`). */
  let active: { licenseId: string; licenseKey: string; leaseId: string };
  let pending: string;
  /** An item of A's that stays available through every attack below; the last test licenses it. */
  let canary: string;
  let bLicense: string;
  let rep: { token: string; accountId: string };
  let purchaseOrderId: string;
  let r1: ResellerKey;
  let r1Revoked: ResellerKey;
  let r2: ResellerKey;
  let r3: ResellerKey;
  let resellerOrderId: string;
  let signingKey: KeyObject;

  const urls = (): Record<ServiceName, string> => ({
    account: platform.account.url,
    license: platform.license.url,
    tracking: platform.tracking.url,
    portal: platform.portal.url,
    'po-intake': platform.poIntake!.url,
    'reseller-intake': reseller.url,
    'store-webhook': platform.store.url,
  });

  /** A call to the portal as a browser with this cookie makes it (its own Origin on unsafe methods). */
  async function portal(cookie: string | undefined, method: string, path: string, body?: unknown) {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (method !== 'GET') headers.origin = platform.portal.url;
    if (cookie) headers.cookie = cookie;
    return callJson(platform.portal.url, method, path, undefined, body, headers);
  }

  async function items(customer: Customer): Promise<ItemView[]> {
    const answer = await callJson(platform.license.url, 'GET', '/v1/license-items', customer.token);
    expect(answer.status).toBe(200);
    return answer.body as unknown as ItemView[];
  }

  async function licenseOf(customer: Customer, licenseId: string): Promise<Record<string, unknown>> {
    const answer = await callJson(platform.license.url, 'GET', `/v1/licenses/${licenseId}`, customer.token);
    expect(answer.status).toBe(200);
    return answer.body;
  }

  /** A store buyer who set a password from the mailed link, signed in at account and at the portal. */
  async function customer(label: string, lines: (typeof JS)[]): Promise<Customer> {
    const email = `owasp.${label}.${short()}@example.com`;
    const purchaseId = await platform.store.order(email, `Tenant ${label}`, lines);
    const [mailed] = await mail.waitFor(email, 1, 60_000);
    const { token: setPassword } = mailedLink(mailed!, '/set-password');
    const confirmed = await callJson(
      platform.account.url,
      'POST',
      '/v1/auth/password-reset/confirm',
      undefined,
      {
        token: setPassword,
        password: PASSWORD,
      },
    );
    expect(confirmed.status).toBe(204);
    const signedIn = await callJson(platform.account.url, 'POST', '/v1/auth/token', undefined, {
      email,
      password: PASSWORD,
    });
    expect(signedIn.status).toBe(200);
    const token = signedIn.body.accessToken as string;
    const me = await callJson(platform.account.url, 'GET', '/v1/me', token);
    const session = await portal(undefined, 'POST', '/v1/session', { email, password: PASSWORD });
    expect(session.status).toBe(200);
    const cookie = session.headers.get('set-cookie')!.split(';')[0]!;
    const partial: Customer = { email, accountId: me.body.accountId as string, token, cookie, itemIds: [] };
    const mine = await eventually(
      async () => {
        const all = await items(partial);
        return all.length === lines.length ? all : undefined;
      },
      { what: `the ${lines.length} items of ${purchaseId}`, timeoutMs: 40_000 },
    );
    return { ...partial, itemIds: mine.map((item) => item.itemId) };
  }

  async function generate(customer: Customer, itemIds: string[]) {
    const answer = await callJson(platform.license.url, 'POST', '/v1/licenses', customer.token, { itemIds });
    expect(answer.status).toBe(201);
    return answer.body as { licenseId: string; licenseKey: string };
  }

  async function activate(customer: Customer, licenseId: string) {
    const answer = await callJson(
      platform.license.url,
      'POST',
      `/v1/licenses/${licenseId}/activation`,
      customer.token,
      { trackingMode: 'vendor-hosted' },
    );
    expect(answer.status).toBe(200);
  }

  const resellerCall = (key: string, method: string, path: string, body?: unknown, idempotencyKey?: string) =>
    callJson(
      reseller.url,
      method,
      path,
      key,
      body,
      idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
    );

  const resellerOrder = (ref = `R-${short()}`) => ({
    resellerOrderRef: ref,
    customer: { email: `reseller.buyer.${short()}@example.com`, name: 'Rita Buyer', company: 'Buyer Pty' },
    items: [{ sku: 'BARCODE-JS-DEVICE-1Y', quantity: 2, unitPrice: '1249.00' }],
    currency: 'USD',
    total: '2498.00',
  });

  const purchaseOrder = (poNumber = `PO-${short().toUpperCase()}`) => ({
    poNumber,
    customer: { email: a.email, name: 'Tenant A', company: 'A Ltd' },
    items: [{ sku: 'BARCODE-JS-DEVICE-1Y', quantity: 2, unitPrice: '1249.00' }],
    currency: 'USD',
    total: '2498.00',
    document: { filename: 'po.pdf', contentType: 'application/pdf', contentBase64: PDF.toString('base64') },
  });

  async function purchaseOrderStatus(id: string): Promise<unknown> {
    const answer = await callJson(platform.poIntake!.url, 'GET', `/v1/purchase-orders/${id}`, rep.token);
    expect(answer.status).toBe(200);
    return answer.body.status;
  }

  async function purchaseOrderNumbers(): Promise<string[]> {
    const answer = await callJson(platform.poIntake!.url, 'GET', '/v1/purchase-orders?limit=200', rep.token);
    expect(answer.status).toBe(200);
    return (answer.body.purchaseOrders as { poNumber: string }[]).map((order) => order.poNumber);
  }

  async function resellerRefs(key: string): Promise<string[]> {
    const answer = await resellerCall(key, 'GET', '/v1/reseller/orders?limit=100');
    expect(answer.status).toBe(200);
    return (answer.body.orders as { resellerOrderRef: string }[]).map((order) => order.resellerOrderRef);
  }

  beforeAll(async () => {
    platform = await startPlatform({ label: 'owasp', poIntake: true });
    signingKey = createPrivateKey(Buffer.from(platform.accessTokenSigningKey, 'base64').toString('utf8'));
    resellerDb = await createTestDatabase('owasp_reseller');
    reseller = await startService('reseller-intake', {
      DATABASE_URL: resellerDb.url,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      RESELLER_CONSUMER_GROUP: uniqueName('owasp-reseller'),
      RESELLER_RATE_LIMIT: `${RESELLER_RATE.requests}/${RESELLER_RATE.windowSeconds}`,
      NODE_ENV: 'test',
    });

    [a, b] = await Promise.all([customer('a', [JS, JS, TWAIN]), customer('b', [JS, JS])]);
    const [first, second, third] = a.itemIds as [string, string, string];
    canary = third;
    const generated = await generate(a, [first]);
    await activate(a, generated.licenseId);
    pending = (await generate(a, [second])).licenseId;
    bLicense = (await generate(b, [b.itemIds[0]!])).licenseId;
    await activate(b, bLicense);
    // The vendor's LTS learns the activation from Kafka; then A's device takes a seat.
    const lease = await eventually(
      async () => {
        const answer = await callJson(platform.tracking.url, 'POST', '/v1/lts/leases', undefined, {
          licenseKey: generated.licenseKey,
          clientId: 'device-a-1',
        });
        return answer.status === 201 ? (answer.body.leaseId as string) : undefined;
      },
      { what: 'a lease on the licence of A', timeoutMs: 40_000 },
    );
    active = { ...generated, leaseId: lease };

    const staff = await platform.staff('sales-rep');
    rep = { token: await staff.accessToken(), accountId: staff.accountId };
    const submitted = await callJson(
      platform.poIntake!.url,
      'POST',
      '/v1/purchase-orders',
      rep.token,
      purchaseOrder(),
    );
    expect(submitted.status).toBe(201);
    purchaseOrderId = submitted.body.purchaseOrderId as string;

    const resellerOne = `OWASP Reseller One ${short()}`;
    r1 = await createResellerKey(resellerDb.url, resellerOne);
    r1Revoked = await createResellerKey(resellerDb.url, resellerOne);
    r2 = await createResellerKey(resellerDb.url, `OWASP Reseller Two ${short()}`);
    r3 = await createResellerKey(resellerDb.url, `OWASP Reseller Three ${short()}`);
    const placed = await resellerCall(r1.key, 'POST', '/v1/reseller/orders', resellerOrder(), randomUUID());
    expect(placed.status).toBe(201);
    resellerOrderId = placed.body.orderId as string;
  }, 240_000);

  afterAll(async () => {
    await reseller?.stop();
    await resellerDb?.drop();
    await platform?.stop();
  });

  describe("API1 broken object-level authorisation: B with A's ids", () => {
    interface ForeignProbe {
      /** `<service> <METHOD> <path>` as the service's OpenAPI document names the operation. */
      route: string;
      /** What B gets: 404 as for an id that does not exist, or the role refusal it gets for any id. */
      status: number;
      /** The call as B, with this id in the path. */
      send(id: string): Promise<JsonAnswer>;
      victim(): string;
      /** A's object is as it was. */
      unchanged?(): Promise<void>;
    }

    const stillGenerated = async () => expect((await licenseOf(a, pending)).status).toBe('generated');
    const stillReceived = async () => expect(await purchaseOrderStatus(purchaseOrderId)).toBe('received');
    const stillRecorded = async () => {
      const answer = await resellerCall(r1.key, 'GET', `/v1/reseller/orders/${resellerOrderId}`);
      expect(answer.status).toBe(200);
      expect(answer.body.status).not.toBe('refunded');
    };
    const bearer =
      (service: ServiceName, method: string, template: string, body?: unknown, token = () => b.token) =>
      (id: string) =>
        callJson(urls()[service], method, template.replace(/\{[^}]+\}/, id), token(), body);
    const viaPortal = (method: string, template: string, body?: unknown) => (id: string) =>
      portal(b.cookie, method, template.replace(/\{[^}]+\}/, id), body);
    const asR2 = (method: string, template: string, body?: unknown) => (id: string) =>
      resellerCall(r2.key, method, template.replace(/\{[^}]+\}/, id), body);
    const reason = { reason: 'B tries it' };

    const probes: ForeignProbe[] = [
      {
        route: 'license GET /v1/licenses/{id}',
        status: 404,
        send: bearer('license', 'GET', '/v1/licenses/{id}'),
        victim: () => active.licenseId,
      },
      {
        route: 'license POST /v1/licenses/{id}/activation',
        status: 404,
        send: bearer('license', 'POST', '/v1/licenses/{id}/activation', { trackingMode: 'vendor-hosted' }),
        victim: () => pending,
        unchanged: stillGenerated,
      },
      {
        route: 'license GET /v1/licenses/{id}/file',
        status: 404,
        send: bearer('license', 'GET', '/v1/licenses/{id}/file'),
        victim: () => active.licenseId,
      },
      {
        route: 'tracking GET /v1/usage/licenses/{licenseId}',
        status: 404,
        send: bearer('tracking', 'GET', '/v1/usage/licenses/{id}'),
        victim: () => active.licenseId,
      },
      {
        route: 'portal GET /v1/licenses/{id}',
        status: 404,
        send: viaPortal('GET', '/v1/licenses/{id}'),
        victim: () => active.licenseId,
      },
      {
        route: 'portal POST /v1/licenses/{id}/activation',
        status: 404,
        send: viaPortal('POST', '/v1/licenses/{id}/activation', { trackingMode: 'vendor-hosted' }),
        victim: () => pending,
        unchanged: stillGenerated,
      },
      {
        route: 'portal GET /v1/licenses/{id}/file',
        status: 404,
        send: viaPortal('GET', '/v1/licenses/{id}/file'),
        victim: () => active.licenseId,
      },
      {
        route: 'portal GET /v1/usage/licenses/{id}',
        status: 404,
        send: viaPortal('GET', '/v1/usage/licenses/{id}'),
        victim: () => active.licenseId,
      },
      // Purchase orders are the sales desk's: a customer (even the PO's own buyer) is refused by role,
      // for a real id exactly as for a made-up one, before any object is looked at.
      ...(
        [
          'GET /v1/purchase-orders/{id}',
          'GET /v1/purchase-orders/{id}/document',
          'POST /v1/purchase-orders/{id}/approval',
          'POST /v1/purchase-orders/{id}/rejection',
          'POST /v1/purchase-orders/{id}/refund',
        ] as const
      ).map((operation): ForeignProbe => {
        const [method, template] = operation.split(' ') as [string, string];
        const body = template.endsWith('rejection') || template.endsWith('refund') ? reason : undefined;
        return {
          route: `po-intake ${operation}`,
          status: 403,
          send: bearer('po-intake', method, template, body, () => a.token),
          victim: () => purchaseOrderId,
          unchanged: method === 'POST' ? stillReceived : undefined,
        };
      }),
      ...(
        [
          'GET /v1/desk/purchase-orders/{id}',
          'GET /v1/desk/purchase-orders/{id}/document',
          'POST /v1/desk/purchase-orders/{id}/approval',
          'POST /v1/desk/purchase-orders/{id}/rejection',
          'POST /v1/desk/purchase-orders/{id}/refund',
        ] as const
      ).map((operation): ForeignProbe => {
        const [method, template] = operation.split(' ') as [string, string];
        const body = template.endsWith('rejection') || template.endsWith('refund') ? reason : undefined;
        return {
          route: `portal ${operation}`,
          status: 403,
          send: (id) => portal(a.cookie, method, template.replace('{id}', id), body),
          victim: () => purchaseOrderId,
          unchanged: method === 'POST' ? stillReceived : undefined,
        };
      }),
      {
        route: 'reseller-intake GET /v1/reseller/orders/{orderId}',
        status: 404,
        send: asR2('GET', '/v1/reseller/orders/{orderId}'),
        victim: () => resellerOrderId,
      },
      {
        route: 'reseller-intake POST /v1/reseller/orders/{orderId}/refund',
        status: 404,
        send: asR2('POST', '/v1/reseller/orders/{orderId}/refund', reason),
        victim: () => resellerOrderId,
        unchanged: stillRecorded,
      },
    ];

    /**
     * Id routes whose caller has no identity to compare with an owner's: the id itself is the secret
     * the client was given (the LTS protocol is unauthenticated by design, CONTRACT "tracking").
     */
    const CAPABILITY_ROUTES: Record<string, string> = {
      'tracking POST /v1/lts/leases/{leaseId}/heartbeat': 'the lease id is handed only to the lease holder',
      'tracking DELETE /v1/lts/leases/{leaseId}': 'the lease id is handed only to the lease holder',
      'tracking GET /v1/lts/licenses/{licenseKey}/usage': 'the licence key is the credential',
    };

    it('covers every operation with a path parameter that the OpenAPI documents list', async () => {
      const documented: string[] = [];
      for (const [service, url] of Object.entries(urls())) {
        const document = (await callJson(url, 'GET', '/docs-json')).body as {
          paths: Record<string, Record<string, unknown>>;
        };
        for (const [path, operations] of Object.entries(document.paths)) {
          if (!path.includes('{')) continue;
          for (const method of Object.keys(operations)) {
            if (['get', 'post', 'put', 'patch', 'delete'].includes(method))
              documented.push(`${service} ${method.toUpperCase()} ${path}`);
          }
        }
      }
      const covered = [...probes.map((probe) => probe.route), ...Object.keys(CAPABILITY_ROUTES)];
      expect(documented.sort()).toEqual([...new Set(covered)].sort());
    });

    it.each(probes)(
      "$route answers B with A's object as with none ($status) and changes nothing",
      async (probe) => {
        const foreign = await probe.send(probe.victim());
        // Indistinguishable: the same document, but for the id itself where it is echoed.
        const made = randomUUID();
        const none = await probe.send(made);
        expectProblem(foreign, probe.status, probe.route);
        expectProblem(none, probe.status, probe.route);
        expect(JSON.stringify(foreign.body).replaceAll(probe.victim(), '<id>')).toBe(
          JSON.stringify(none.body).replaceAll(made, '<id>'),
        );
        await probe.unchanged?.();
      },
    );

    it('shows B its own objects on the same routes (the refusals above are not a broken token)', async () => {
      expect((await callJson(platform.license.url, 'GET', `/v1/licenses/${bLicense}`, b.token)).status).toBe(
        200,
      );
      expect((await portal(b.cookie, 'GET', `/v1/licenses/${bLicense}`)).status).toBe(200);
      expect(
        (await callJson(platform.license.url, 'GET', `/v1/licenses/${bLicense}/file`, b.token)).status,
      ).toBe(200);
      const own = await resellerCall(r1.key, 'GET', `/v1/reseller/orders/${resellerOrderId}`);
      expect(own.status).toBe(200);
      expect(
        (await callJson(platform.tracking.url, 'GET', `/v1/usage/licenses/${active.licenseId}`, a.token))
          .status,
      ).toBe(200);
    });

    it("lists none of A's items, licences or orders to B", async () => {
      const bItems = await items(b);
      expect(bItems.map((item) => item.itemId).sort()).toEqual([...b.itemIds].sort());
      const licences = await callJson(platform.license.url, 'GET', '/v1/licenses', b.token);
      expect((licences.body as unknown as { licenseId: string }[]).map((l) => l.licenseId)).toEqual([
        bLicense,
      ]);
      const viaPortal = await portal(b.cookie, 'GET', '/v1/license-items');
      expect((viaPortal.body as unknown as ItemView[]).map((item) => item.itemId).sort()).toEqual(
        [...b.itemIds].sort(),
      );
      const orders = await resellerCall(r2.key, 'GET', '/v1/reseller/orders');
      expect(orders.status).toBe(200);
      expect(orders.body.orders).toEqual([]);
    });

    it("refuses B a licence of A's item (ids in the body) as for an item that does not exist", async () => {
      for (const send of [
        (itemIds: string[]) => callJson(platform.license.url, 'POST', '/v1/licenses', b.token, { itemIds }),
        (itemIds: string[]) => portal(b.cookie, 'POST', '/v1/licenses', { itemIds }),
      ]) {
        const foreign = await send([canary]);
        const none = await send([randomUUID()]);
        expectProblem(foreign, 404);
        expectProblem(none, 404);
        expect(foreign.body.type).toBe(none.body.type);
        // With one of B's own available items alongside, still nothing is licensed.
        expectProblem(await send([b.itemIds[1]!, canary]), 404);
      }
      expect((await items(b)).find((item) => item.itemId === b.itemIds[1])?.status).toBe('available');
      const canaryNow = (await items(a)).find((item) => item.itemId === canary);
      expect(canaryNow).toMatchObject({ status: 'available', licenseId: null });
    });
  });

  describe('API2 broken authentication', () => {
    /** A call with this bearer token; every one must be 401 problem+json. */
    interface Target {
      name: string;
      send(token: string): Promise<JsonAnswer>;
    }
    const customerTargets: Target[] = [
      { name: 'account GET /v1/me', send: (t) => callJson(platform.account.url, 'GET', '/v1/me', t) },
      {
        name: 'license GET /v1/licenses',
        send: (t) => callJson(platform.license.url, 'GET', '/v1/licenses', t),
      },
      {
        name: 'license POST /v1/licenses',
        send: (t) => callJson(platform.license.url, 'POST', '/v1/licenses', t, { itemIds: [canary] }),
      },
      {
        name: 'license POST /v1/licenses/{id}/activation',
        send: (t) =>
          callJson(platform.license.url, 'POST', `/v1/licenses/${pending}/activation`, t, {
            trackingMode: 'vendor-hosted',
          }),
      },
      {
        name: 'tracking GET /v1/usage/licenses/{licenseId}',
        send: (t) => callJson(platform.tracking.url, 'GET', `/v1/usage/licenses/${active.licenseId}`, t),
      },
    ];
    const staffTargets: Target[] = [
      {
        name: 'po-intake GET /v1/purchase-orders',
        send: (t) => callJson(platform.poIntake!.url, 'GET', '/v1/purchase-orders', t),
      },
      {
        name: 'po-intake POST /v1/purchase-orders',
        send: (t) =>
          callJson(platform.poIntake!.url, 'POST', '/v1/purchase-orders', t, purchaseOrder('PO-FORGED')),
      },
      {
        name: 'po-intake POST /v1/purchase-orders/{id}/rejection',
        send: (t) =>
          callJson(platform.poIntake!.url, 'POST', `/v1/purchase-orders/${purchaseOrderId}/rejection`, t, {
            reason: 'forged',
          }),
      },
    ];

    const KINDS = [
      'an expired token (issuer key)',
      'a token signed by a foreign key under the real kid',
      'a token signed by a foreign key under its own kid',
      'alg none, no signature',
      'alg none, a signature',
      'HS256 keyed with the public key (PEM)',
      'HS256 keyed with the public key (JWK x)',
      "a tampered payload under another's signature",
      'a token whose payload gained a role',
    ];

    it.each(KINDS)('refuses %s with 401 problem+json everywhere, storing nothing', async (kind) => {
      const asA = forgedTokens(a.token, b.token, signingKey)[kind]!;
      const asRep = forgedTokens(rep.token, b.token, signingKey)[kind]!;
      for (const target of customerTargets) expectProblem(await target.send(asA), 401, target.name);
      for (const target of staffTargets) expectProblem(await target.send(asRep), 401, target.name);
      expect((await items(a)).find((item) => item.itemId === canary)?.status).toBe('available');
      expect((await licenseOf(a, pending)).status).toBe('generated');
      expect(await purchaseOrderStatus(purchaseOrderId)).toBe('received');
      expect(await purchaseOrderNumbers()).not.toContain('PO-FORGED');
    });

    it('accepts the real tokens the forgeries were made from (the 401s above are the forgery)', async () => {
      expect((await customerTargets[0]!.send(a.token)).status).toBe(200);
      expect((await staffTargets[0]!.send(rep.token)).status).toBe(200);
    });

    it('refuses a bearer token at the portal, a made-up session and a signed-out one', async () => {
      expectProblem(
        await callJson(platform.portal.url, 'GET', '/v1/license-items', a.token),
        401,
        'portal with a bearer token',
      );
      const madeUp = `portal_session=${Buffer.alloc(32, 7).toString('base64url')}`;
      expectProblem(await portal(madeUp, 'GET', '/v1/license-items'), 401, 'portal with a made-up session');
      const session = await portal(undefined, 'POST', '/v1/session', { email: b.email, password: PASSWORD });
      const cookie = session.headers.get('set-cookie')!.split(';')[0]!;
      expect((await portal(cookie, 'GET', '/v1/license-items')).status).toBe(200);
      expect((await portal(cookie, 'DELETE', '/v1/session')).status).toBe(204);
      expectProblem(await portal(cookie, 'GET', '/v1/license-items'), 401, 'portal after sign-out');
      expectProblem(
        await portal(cookie, 'POST', '/v1/licenses', { itemIds: [b.itemIds[1]!] }),
        401,
        'portal POST after sign-out',
      );
      expect((await items(b)).find((item) => item.itemId === b.itemIds[1])?.status).toBe('available');
    });

    it('refuses a revoked reseller key, and an unknown one, with 401 and records nothing', async () => {
      expect((await resellerCall(r1Revoked.key, 'GET', '/v1/reseller/orders')).status).toBe(200);
      const revoked = await resellerKeyCommand(resellerDb.url, 'revoke-key', ['--key-id', r1Revoked.keyId]);
      expect(revoked.code).toBe(0);
      const ref = `R-REVOKED-${short()}`;
      const unknownKey = `rsk_${Buffer.alloc(32, 9).toString('base64url')}`;
      for (const key of [r1Revoked.key, unknownKey, `${r1.key.slice(0, -2)}xx`]) {
        expectProblem(await resellerCall(key, 'GET', '/v1/reseller/orders'), 401, 'list');
        expectProblem(await resellerCall(key, 'GET', `/v1/reseller/orders/${resellerOrderId}`), 401, 'get');
        expectProblem(
          await resellerCall(key, 'POST', '/v1/reseller/orders', resellerOrder(ref), randomUUID()),
          401,
          'place',
        );
        expectProblem(
          await resellerCall(key, 'POST', `/v1/reseller/orders/${resellerOrderId}/refund`, { reason: 'x' }),
          401,
          'refund',
        );
      }
      expect(await resellerRefs(r1.key)).not.toContain(ref);
      const order = await resellerCall(r1.key, 'GET', `/v1/reseller/orders/${resellerOrderId}`);
      expect(order.body.status).not.toBe('refunded');
    });
  });

  describe('API4 unrestricted resource consumption', () => {
    it('refuses a page size over the documented maximum with 400 and serves the maximum', async () => {
      const over = await resellerCall(r1.key, 'GET', '/v1/reseller/orders?limit=101');
      expectProblem(over, 400, 'reseller limit=101');
      expect(over.body.errors).toEqual([expect.objectContaining({ field: 'limit' })]);
      expect((await resellerCall(r1.key, 'GET', '/v1/reseller/orders?limit=100')).status).toBe(200);
      const overPo = await callJson(
        platform.poIntake!.url,
        'GET',
        '/v1/purchase-orders?limit=201',
        rep.token,
      );
      expectProblem(overPo, 400, 'po-intake limit=201');
      expect(overPo.body.errors).toEqual([expect.objectContaining({ field: 'limit' })]);
      expect(
        (await callJson(platform.poIntake!.url, 'GET', '/v1/purchase-orders?limit=200', rep.token)).status,
      ).toBe(200);
      // The maxima are the ones documented.
      for (const [url, path, maximum] of [
        [reseller.url, '/v1/reseller/orders', 100],
        [platform.poIntake!.url, '/v1/purchase-orders', 200],
      ] as const) {
        const document = (await callJson(url, 'GET', '/docs-json')).body as {
          paths: Record<string, { get: { parameters: { name: string; schema: { maximum?: number } }[] } }>;
        };
        const limit = document.paths[path]!.get.parameters.find((parameter) => parameter.name === 'limit');
        expect(limit?.schema.maximum).toBe(maximum);
      }
    });

    it('answers a body over 256 KiB with 413 problem+json on each service', async () => {
      await expectBodyTooLarge(platform.account.url, '/v1/accounts');
      await expectBodyTooLarge(platform.account.url, '/v1/auth/token');
      await expectBodyTooLarge(platform.license.url, '/v1/licenses', { authorization: `Bearer ${a.token}` });
      await expectBodyTooLarge(platform.tracking.url, '/v1/lts/leases');
      await expectBodyTooLarge(reseller.url, '/v1/reseller/orders', {
        authorization: `Bearer ${r1.key}`,
        'idempotency-key': randomUUID(),
      });
      await expectBodyTooLarge(platform.portal.url, '/v1/session', { origin: platform.portal.url });
      await expectBodyTooLarge(platform.store.url, '/v1/webhooks/store');
    });

    it('rate limits a reseller key with 429, retry-after and problem+json, and only that key', async () => {
      let limited: JsonAnswer | undefined;
      for (let sent = 0; sent <= RESELLER_RATE.requests + 5 && !limited; sent++) {
        const answer = await resellerCall(r3.key, 'GET', '/v1/reseller/orders');
        if (answer.status === 429) limited = answer;
        else expect(answer.status).toBe(200);
      }
      expect(limited).toBeDefined();
      expectProblem(limited!, 429);
      expect(limited!.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      expect((await resellerCall(r2.key, 'GET', '/v1/reseller/orders')).status).toBe(200);
    });

    it('rate limits sign-in attempts on one account with 429 and retry-after', async () => {
      const email = `owasp.guess.${short()}@example.com`;
      let limited: JsonAnswer | undefined;
      for (let sent = 0; sent < 30 && !limited; sent++) {
        const answer = await callJson(platform.account.url, 'POST', '/v1/auth/token', undefined, {
          email,
          password: `guess number ${sent}`,
        });
        if (answer.status === 429) limited = answer;
        else expectProblem(answer, 401);
      }
      expect(limited).toBeDefined();
      expectProblem(limited!, 429);
      expect(limited!.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    });
  });

  describe('API3/API6 mass assignment of server-owned fields', () => {
    it.each([
      ['licenseId', (): unknown => randomUUID()],
      ['licenseKey', (): unknown => 'AAAA-BBBB-CCCC-DDDD'],
      ['accountId', (): unknown => b.accountId],
      ['status', (): unknown => 'activated'],
      ['trackingMode', (): unknown => 'vendor-hosted'],
      ['generatedAt', (): unknown => '2020-01-01T00:00:00Z'],
      ['items', (): unknown => [{ itemId: canary, quantity: 1000 }]],
    ] as const)(
      'refuses POST /v1/licenses with %s, at license and the portal, licensing nothing',
      async (field, value) => {
        const body = { itemIds: [canary], [field]: value() };
        expectProblem(
          await callJson(platform.license.url, 'POST', '/v1/licenses', a.token, body),
          400,
          'license',
        );
        expectProblem(await portal(a.cookie, 'POST', '/v1/licenses', body), 400, 'portal');
        expect((await items(a)).find((item) => item.itemId === canary)).toMatchObject({
          status: 'available',
        });
      },
    );

    it.each([
      ['status', 'revoked'],
      ['activatedAt', '2020-01-01T00:00:00Z'],
      ['accountId', '00000000-0000-4000-8000-000000000000'],
      ['entitlements', [{ product: 'barcode-reader-js', unit: 'device', seats: 100000, expiresAt: null }]],
      ['seats', 100000],
    ] as const)(
      'refuses an activation carrying %s and leaves the licence generated',
      async (field, value) => {
        const body = { trackingMode: 'vendor-hosted', [field]: value };
        const path = `/v1/licenses/${pending}/activation`;
        expectProblem(await callJson(platform.license.url, 'POST', path, a.token, body), 400, 'license');
        expectProblem(await portal(a.cookie, 'POST', path, body), 400, 'portal');
        expect((await licenseOf(a, pending)).status).toBe('generated');
      },
    );

    it('refuses a registration that sets roles, verification or the account id, and makes no account', async () => {
      const email = `owasp.register.${short()}@example.com`;
      const valid = { email, password: PASSWORD, name: 'Mallory' };
      for (const extra of [
        { roles: ['sales-manager'] },
        { emailVerified: true },
        { accountId: randomUUID() },
        { origin: 'purchase' },
        { createdAt: '2020-01-01T00:00:00Z' },
      ]) {
        expectProblem(
          await callJson(platform.account.url, 'POST', '/v1/accounts', undefined, { ...valid, ...extra }),
          400,
          Object.keys(extra)[0],
        );
        expectProblem(await portal(undefined, 'POST', '/v1/accounts', { ...valid, ...extra }), 400, 'portal');
      }
      // Had any of them made the account, this would mail its owner a note instead of a verification link.
      expect((await callJson(platform.account.url, 'POST', '/v1/accounts', undefined, valid)).status).toBe(
        202,
      );
      const [mailed] = await mail.waitFor(email);
      expect(mailedLink(mailed!, '/verify-email').token).toBeTruthy();
      expect(await mail.mailsTo(email)).toHaveLength(1);
    });

    it('refuses a lease request that sets seats, the lease id or its expiry, and takes no seat', async () => {
      const valid = { licenseKey: active.licenseKey, clientId: 'device-mass-assign' };
      for (const extra of [
        { seatsInUse: 0 },
        { seatsTotal: 1000 },
        { leaseId: active.leaseId },
        { expiresAt: '2099-01-01T00:00:00Z' },
        { accountId: b.accountId },
      ]) {
        expectProblem(
          await callJson(platform.tracking.url, 'POST', '/v1/lts/leases', undefined, { ...valid, ...extra }),
          400,
          Object.keys(extra)[0],
        );
      }
      const usage = await callJson(
        platform.tracking.url,
        'GET',
        `/v1/lts/licenses/${active.licenseKey}/usage`,
      );
      const leases = (usage.body as unknown as { leases: { clientId: string }[] }[]).flatMap((p) => p.leases);
      expect(leases.map((lease) => lease.clientId)).toEqual(['device-a-1']);
    });

    it('refuses a reseller order that sets its ids, status or reseller, and records nothing', async () => {
      const ref = `R-MASS-${short()}`;
      for (const extra of [
        { orderId: randomUUID() },
        { purchaseId: randomUUID() },
        { status: 'refunded' },
        { resellerId: r2.resellerId },
        { createdAt: '2020-01-01T00:00:00Z' },
      ]) {
        expectProblem(
          await resellerCall(
            r1.key,
            'POST',
            '/v1/reseller/orders',
            { ...resellerOrder(ref), ...extra },
            randomUUID(),
          ),
          400,
          Object.keys(extra)[0],
        );
      }
      const nested = resellerOrder(ref);
      expectProblem(
        await resellerCall(
          r1.key,
          'POST',
          '/v1/reseller/orders',
          { ...nested, customer: { ...nested.customer, accountId: a.accountId } },
          randomUUID(),
        ),
        400,
        'customer.accountId',
      );
      expect(await resellerRefs(r1.key)).not.toContain(ref);
      expect(await resellerRefs(r2.key)).not.toContain(ref);
    });

    it('refuses a purchase order that sets its id, status, dates, history or submitter, and records nothing', async () => {
      const poNumber = `PO-MASS-${short().toUpperCase()}`;
      for (const extra of [
        { purchaseOrderId: randomUUID() },
        { status: 'approved' },
        { receivedAt: '2020-01-01T00:00:00Z' },
        { dueBy: '2099-01-01T00:00:00Z' },
        { history: [] },
        { submittedBy: randomUUID() },
      ]) {
        expectProblem(
          await callJson(platform.poIntake!.url, 'POST', '/v1/purchase-orders', rep.token, {
            ...purchaseOrder(poNumber),
            ...extra,
          }),
          400,
          Object.keys(extra)[0],
        );
      }
      expect(await purchaseOrderNumbers()).not.toContain(poNumber);
    });
  });

  it("left A's canary item available through all of it: A licenses it now", async () => {
    const licence = await generate(a, [canary]);
    expect(licence.licenseId).toEqual(expect.any(String));
  });
});
