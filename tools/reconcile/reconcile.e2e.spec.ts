// `npm run reconcile` against the whole platform. It reads whole topics, so the platform runs on
// infrastructure of its own (tools/chaos/serve-stack.mjs), not the test broker the other specs share.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import { eventually, signStoreWebhook, storeOrder, withDatabase } from '@otl/testing';

interface Stack {
  adminUrl: string;
  brokers: string;
  urls: Record<string, string>;
  secrets: Record<string, string>;
}
interface Reconciliation {
  counts: Record<string, number>;
  stuck: { purchaseId: string; externalRef: string; stoppedAt: string }[];
  inconsistent: { kind: string; subject: string; problem: string }[];
  deadLetters: Record<string, number>;
}

const repoRoot = `${__dirname}/../..`;

describe('npm run reconcile (the whole platform on its own Postgres and Kafka)', () => {
  let child: ChildProcess;
  let stack: Stack;
  let license: Client;

  beforeAll(async () => {
    child = spawn(process.execPath, ['tools/chaos/serve-stack.mjs'], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = new Promise<never>((_, fail) =>
      child.once('exit', (code) => fail(new Error(`serve-stack exited with ${code} before it was ready`))),
    );
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const ready = new Promise<Stack>((resolve) => lines.once('line', (line) => resolve(JSON.parse(line))));
    stack = await Promise.race([ready, exited]);
    license = new Client({ connectionString: withDatabase(stack.adminUrl, 'license') });
    await license.connect();
  }, 240_000);

  afterAll(async () => {
    await license?.end();
    if (child && child.exitCode === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.stdin?.end();
      await gone;
    }
  }, 60_000);

  const reconcile = (...args: string[]) => {
    const run = spawnSync(process.execPath, ['tools/reconcile/cli.mjs', ...args], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: stack.adminUrl, KAFKA_BROKERS: stack.brokers },
      timeout: 60_000,
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  };
  const reconcileJson = (...args: string[]) => {
    const run = reconcile('--json', ...args);
    return { status: run.status, result: JSON.parse(run.stdout) as Reconciliation };
  };

  async function buy(items: { sku: string; quantity: number; unitPrice: string }[]) {
    const orderId = `REC-${randomUUID().slice(0, 8)}`;
    const total = items.reduce((sum, item) => sum + item.quantity * Number(item.unitPrice), 0).toFixed(2);
    const body = JSON.stringify(
      storeOrder(orderId, {
        customer: {
          email: `${orderId.toLowerCase()}@reconcile.example`,
          name: 'Rita Reconcile',
          company: null,
        },
        items,
        total,
      }),
    );
    const answer = await fetch(`${stack.urls['store-webhook']}/v1/webhooks/store`, {
      method: 'POST',
      headers: signStoreWebhook(stack.secrets.STORE_WEBHOOK_SECRET as string, body),
      body,
    });
    expect(answer.status).toBe(202);
    return orderId;
  }
  const itemsOf = async (orderId: string) =>
    (
      await license.query<{ item_id: string; quantity: number }>(
        'SELECT item_id::text, quantity FROM license_items WHERE external_ref = $1 ORDER BY sku',
        [orderId],
      )
    ).rows;

  it('finds every purchase through and nothing inconsistent, then reports what was planted', async () => {
    const orderId = await buy([
      { sku: 'BARCODE-JS-DEVICE-1Y', quantity: 3, unitPrice: '1249.00' },
      { sku: 'BARCODE-JS-SERVER-PERP', quantity: 1, unitPrice: '4990.00' },
    ]);
    await eventually(
      async () => {
        expect(await itemsOf(orderId)).toHaveLength(2);
        return true;
      },
      { timeoutMs: 90_000 },
    );

    const clean = reconcileJson('--stuck-after', '0');
    expect(clean.result).toMatchObject({ stuck: [], inconsistent: [], deadLetters: {} });
    expect(clean.result.counts).toMatchObject({ recorded: 1, published: 1, assigned: 1, itemised: 1 });
    expect(clean.status).toBe(0);

    // Planted: one item gets more seats than were bought, the other one disappears.
    const [device, server] = await itemsOf(orderId);
    await license.query('UPDATE license_items SET quantity = quantity + 4 WHERE item_id = $1', [
      device?.item_id,
    ]);
    await license.query('DELETE FROM license_items WHERE item_id = $1', [server?.item_id]);

    const planted = reconcileJson('--stuck-after', '0');
    expect(planted.status).toBe(1);
    expect(planted.result.inconsistent).toEqual([
      { kind: 'contradiction', subject: `item ${device?.item_id}`, problem: '7 seats, 3 bought' },
    ]);
    expect(planted.result.stuck).toEqual([
      expect.objectContaining({
        externalRef: orderId,
        stoppedAt: 'license: consumed the assignment, 1 of 2 items',
      }),
    ]);

    // The report an operator reads says the same; an hour's grace makes the missing item "still moving".
    const report = reconcile('--stuck-after', '1h');
    expect(report.status).toBe(1);
    expect(report.stdout).toContain(`item ${device?.item_id}: 7 seats, 3 bought`);
    expect(report.stdout).toMatch(/still moving \(younger than 60 min\): 1/);
    expect(report.stdout).toContain('stuck (not through after 60 min): 0');
  }, 180_000);

  it('refuses a duration it cannot read, and says so when it cannot reach the platform', () => {
    const bad = reconcile('--stuck-after', 'soon');
    expect(bad.status).toBe(64);
    expect(bad.stderr).toContain('"soon" is not a duration');

    const unreachable = spawnSync(process.execPath, ['tools/reconcile/cli.mjs'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: {
        ...process.env,
        DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:9/postgres',
        KAFKA_BROKERS: stack.brokers,
      },
      timeout: 60_000,
    });
    expect(unreachable.status).toBe(2);
    expect(unreachable.stderr).toContain('could not read the platform');
    expect(unreachable.stderr).not.toContain('secret');
  });
});
