import {
  HOSTILE_CASES,
  describeHostileInput,
  startPlatform,
  type HostileCase,
  type HostileTarget,
  type Platform,
} from '@otl/testing';
import { call, purchaseOrder } from './support';

/**
 * po-intake takes bodies up to 16 MiB (a 10 MiB document in base64), so the corpus's 256 KiB cases
 * become the same cases over 16 MiB; every other case is as for any service.
 */
const OVER_LIMIT = 16 * 1024 * 1024 + 1024;
const cases: HostileCase[] = HOSTILE_CASES.map((hostile) => {
  if (hostile.name === 'a body over 256 KiB') {
    // Declared over the limit: refused on the header, before the body is read. (Sending all 16 MiB
    // would race the server's close: unread bytes make the kernel reset the connection, answer and all.)
    return {
      ...hostile,
      name: 'a body declared over 16 MiB',
      request: (target, path) => {
        const body = Buffer.from(JSON.stringify({ ...target.valid(), padding: 'x'.repeat(64 * 1024) }));
        const head = [
          `POST ${path} HTTP/1.1`,
          'host: 127.0.0.1',
          'connection: close',
          'content-type: application/json',
          ...Object.entries(target.headers?.(body) ?? {}).map(([name, value]) => `${name}: ${value}`),
          `content-length: ${OVER_LIMIT}`,
        ];
        return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), body]);
      },
    };
  }
  if (hostile.name === 'a chunked body over 256 KiB') {
    return {
      ...hostile,
      name: 'a chunked body over 16 MiB',
      request: (target, path) => {
        const chunk = Buffer.alloc(1024 * 1024, 0x20);
        const head = [
          `POST ${path} HTTP/1.1`,
          'host: 127.0.0.1',
          'connection: close',
          'content-type: application/json',
          'transfer-encoding: chunked',
          ...Object.entries(target.headers?.(Buffer.alloc(0)) ?? {}).map(
            ([name, value]) => `${name}: ${value}`,
          ),
        ];
        const parts = [Buffer.from(`${head.join('\r\n')}\r\n\r\n`), Buffer.from('6\r\n{"a":"\r\n')];
        for (let i = 0; i < 17; i++)
          parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
        return Buffer.concat([...parts, Buffer.from('0\r\n\r\n')]);
      },
    };
  }
  return hostile;
});

describe('po-intake under hostile input (running services, real Postgres and Kafka)', () => {
  let platform: Platform;
  let repToken: string;
  let managerToken: string;
  let pending: string[] = [];

  beforeAll(async () => {
    platform = await startPlatform({ label: 'po_hostile', poIntake: true });
    const [rep, manager] = await Promise.all([platform.staff('sales-rep'), platform.staff('sales-manager')]);
    [repToken, managerToken] = await Promise.all([rep.accessToken(), manager.accessToken()]);
    // Orders to reject, one per good request after a rejection case.
    pending = await Promise.all(
      Array.from({ length: cases.length + 1 }, async () => {
        const answer = await call(
          platform.poIntake!.url,
          'POST',
          '/v1/purchase-orders',
          repToken,
          purchaseOrder(),
        );
        expect(answer.status).toBe(201);
        return answer.body.purchaseOrderId as string;
      }),
    );
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const url = () => platform.poIntake!.url;
  const targets: HostileTarget[] = [
    {
      name: 'POST /v1/purchase-orders',
      path: '/v1/purchase-orders',
      valid: () => purchaseOrder(),
      field: 'customer',
      textField: 'customer.name',
      headers: () => ({ authorization: `Bearer ${repToken}` }),
      good: async () => {
        const answer = await call(url(), 'POST', '/v1/purchase-orders', repToken, purchaseOrder());
        expect(answer.status).toBe(201);
      },
    },
    {
      name: 'POST /v1/purchase-orders/{id}/rejection',
      get path() {
        return `/v1/purchase-orders/${pending[0]}/rejection`;
      },
      valid: () => ({ reason: 'The PO is not signed.' }),
      field: 'reason',
      textField: 'reason',
      headers: () => ({ authorization: `Bearer ${managerToken}` }),
      good: async () => {
        const id = pending.shift();
        const answer = await call(url(), 'POST', `/v1/purchase-orders/${id}/rejection`, managerToken, {
          reason: 'not signed',
        });
        expect([answer.status, answer.body.status]).toEqual([200, 'rejected']);
      },
    },
  ];

  describeHostileInput({ url, databaseUrl: () => platform.poIntakeDb!.url, targets, cases });
});
