import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import {
  createResellerKey,
  createTestDatabase,
  expectBodyTooLarge,
  expectServiceSurface,
  startService,
  uniqueName,
  type RunningService,
  type TestDatabase,
} from '@otl/testing';
import { order, place, serviceEnv } from './support';

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** node:http rather than fetch: fetch refuses TRACE. */
function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
) {
  return new Promise<RawAnswer>((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
        }),
      );
    });
    req.on('error', reject);
    if (body === undefined) req.end();
    else {
      req.setHeader('content-type', 'application/json');
      req.end(JSON.stringify(body));
    }
  });
}

const expectProblem = (answer: RawAnswer, status: number) => {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(answer.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
};

describe('reseller-intake: health, metrics, OpenAPI and the framework answers (running service)', () => {
  let db: TestDatabase;
  let service: RunningService;
  let key: string;

  beforeAll(async () => {
    db = await createTestDatabase('reseller_surface');
    service = await startService('reseller-intake', serviceEnv(db.url, uniqueName('reseller-surface')));
    ({ key } = await createResellerKey(db.url, `Surface Reseller ${randomUUID().slice(0, 8)}`));
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
    await db?.drop();
  });

  it('serves health, metrics and its OpenAPI document', async () => {
    // A recorded order and a refused key, so that their counters have samples.
    expect((await place(service.url, key, order())).status).toBe(201);
    expect((await send(service.url, 'GET', '/v1/reseller/orders')).status).toBe(401);
    await expectServiceSurface(service.url, {
      paths: ['/v1/reseller/orders', '/v1/reseller/orders/{orderId}', '/v1/reseller/orders/{orderId}/refund'],
      metrics: [
        /^reseller_intake_order_requests_total\{[^}]*outcome="recorded"[^}]*\} 1$/m,
        /^reseller_intake_auth_failures_total\{[^}]*\} 1$/m,
        /^# TYPE reseller_intake_refunds_total counter$/m,
        /^# TYPE reseller_intake_rate_limited_total counter$/m,
        /http_requests_total\{[^}]*route="\/v1\/reseller\/orders"[^}]*status="201"/,
      ],
    });
  });

  it('answers a body over 256 KiB with 413', async () => {
    await expectBodyTooLarge(service.url, '/v1/reseller/orders', {
      authorization: `Bearer ${key}`,
      'idempotency-key': randomUUID(),
    });
  });

  it('answers an unknown path with 404, whatever the method', async () => {
    expectProblem(await send(service.url, 'GET', '/v1/reseller/nothing-here'), 404);
    expectProblem(await send(service.url, 'POST', '/v1/resellers/orders'), 404);
  });

  it('answers an order id that is no UUID, or no order of the reseller, with 404', async () => {
    const auth = { authorization: `Bearer ${key}` };
    expectProblem(await send(service.url, 'GET', '/v1/reseller/orders/not-a-uuid', auth), 404);
    expectProblem(await send(service.url, 'GET', `/v1/reseller/orders/${randomUUID()}`, auth), 404);
    const refund = { reason: 'cancelled' };
    expectProblem(
      await send(service.url, 'POST', `/v1/reseller/orders/${randomUUID()}/refund`, auth, refund),
      404,
    );
  });

  it.each(['PUT', 'PATCH', 'DELETE', 'TRACE'])(
    'answers %s on the orders with 405 and the methods they serve in Allow',
    async (method) => {
      const list = await send(service.url, method, '/v1/reseller/orders');
      expectProblem(list, 405);
      expect(list.headers.allow).toBe('GET, HEAD, POST');
      const one = await send(service.url, method, `/v1/reseller/orders/${randomUUID()}`);
      expectProblem(one, 405);
      expect(one.headers.allow).toBe('GET, HEAD');
    },
  );

  it('answers GET on a refund with 405 and Allow: POST', async () => {
    const answer = await send(service.url, 'GET', `/v1/reseller/orders/${randomUUID()}/refund`);
    expectProblem(answer, 405);
    expect(answer.headers.allow).toBe('POST');
  });

  it('answers an over-long URL with 414', async () => {
    expectProblem(await send(service.url, 'GET', `/v1/reseller/orders?cursor=${'1'.repeat(9000)}`), 414);
  });

  it('documents the problem schema, the key, and every status of placing an order', async () => {
    const document = (await send(service.url, 'GET', '/docs-json')).body as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
    };
    expect(document.components.schemas.ProblemDetails).toBeDefined();
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(document.paths['/v1/reseller/orders']!.post!.responses)).toEqual(
      expect.arrayContaining(['201', '400', '401', '409', '413', '415', '422', '429', '503']),
    );
  });
});
