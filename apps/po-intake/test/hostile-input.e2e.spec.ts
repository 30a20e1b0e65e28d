import {
  describeHostileInput,
  hostileCasesFor,
  startPlatform,
  type HostileTarget,
  type Platform,
} from '@otl/testing';
import { call, purchaseOrder } from './support';

/** po-intake takes bodies up to 16 MiB (a 10 MiB document in base64): the size cases are scaled to it. */
const cases = hostileCasesFor(16 * 1024 * 1024);

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
