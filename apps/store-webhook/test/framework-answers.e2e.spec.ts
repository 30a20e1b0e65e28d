import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import {
  createTestDatabase,
  requireEnv,
  startService,
  type RunningService,
  type TestDatabase,
} from '@otl/testing';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** node:http rather than fetch: fetch refuses TRACE and would not send QUERY without a body. */
function call(base: string, method: string, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : {} }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

// The platform's own answers, as every service gives them (store-webhook stands for all: bootstrap.ts).
describe('framework errors are problem details (running store-webhook)', () => {
  let db: TestDatabase;
  let service: RunningService;

  beforeAll(async () => {
    db = await createTestDatabase('framework_answers');
    service = await startService('store-webhook', {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      STORE_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
    });
  });

  afterAll(async () => {
    await service?.stop();
    await db?.drop();
  });

  const expectProblem = (answer: Answer, status: number) => {
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toContain('application/problem+json');
    expect(answer.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
  };

  it('answers an unknown path with 404, whatever the method', async () => {
    expectProblem(await call(service.url, 'GET', '/v1/nothing-here'), 404);
    expectProblem(await call(service.url, 'QUERY', '/v1/nothing-here'), 404);
  });

  it.each(['GET', 'PUT', 'PATCH', 'DELETE', 'TRACE', 'QUERY', 'OPTIONS'])(
    'answers %s on a path that serves only POST with 405 and Allow: POST',
    async (method) => {
      const answer = await call(service.url, method, '/v1/webhooks/store');
      expectProblem(answer, 405);
      expect(answer.headers.allow).toBe('POST');
    },
  );

  it('lists HEAD with GET in Allow', async () => {
    const answer = await call(service.url, 'POST', '/health/live');
    expectProblem(answer, 405);
    expect(answer.headers.allow).toBe('GET, HEAD');
  });

  it('answers an over-long URL with 414', async () => {
    expectProblem(await call(service.url, 'GET', `/health/live?q=${'x'.repeat(9000)}`), 414);
  });

  it('documents the problem schema and the statuses of the webhook', async () => {
    const document = (await call(service.url, 'GET', '/docs-json')).body as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(document.components.schemas.ProblemDetails).toBeDefined();
    expect(Object.keys(document.paths['/v1/webhooks/store']!.post!.responses).sort()).toEqual([
      '202',
      '400',
      '401',
      '413',
      '415',
      '503',
    ]);
  });
});
