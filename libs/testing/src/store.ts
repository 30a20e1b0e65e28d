import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { requireEnv } from './env';
import { createTestDatabase, type TestDatabase } from './postgres';
import { startService, type RunningService } from './service';
import { signStoreWebhook, storeOrder, storeRefund } from './webhooks';

/** An Ed25519 private key as the services read it: base64 of its PKCS#8 PEM. */
export function newSigningKey(): string {
  const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' });
  return Buffer.from(pem).toString('base64');
}

/** The store-webhook service, to put purchases on Kafka the way production does. */
export class Store {
  private constructor(
    private readonly db: TestDatabase,
    private readonly service: RunningService,
    private readonly secret: string,
  ) {}

  static async start(): Promise<Store> {
    const db = await createTestDatabase('e2e_store');
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const service = await startService('store-webhook', {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      STORE_WEBHOOK_SECRET: secret,
    });
    return new Store(db, service, secret);
  }

  private readonly orderIds = new Map<string, string>();

  /** Where the store-webhook service listens (to read its OpenAPI document, say). */
  get url(): string {
    return this.service.url;
  }

  /** Records an order by `email`; returns its purchaseId. */
  async order(
    email: string,
    name = 'Test Buyer',
    items: { sku: string; quantity: number; unitPrice: string }[] = [
      { sku: 'BARCODE-JS-DEVICE-1Y', quantity: 2, unitPrice: '1249.00' },
    ],
  ): Promise<string> {
    const orderId = `ST-${randomUUID().slice(0, 13)}`;
    const cents = items.reduce(
      (sum, item) => sum + item.quantity * Math.round(Number(item.unitPrice) * 100),
      0,
    );
    const total = (cents / 100).toFixed(2);
    const answer = await this.deliver(
      storeOrder(orderId, { customer: { email, name, company: null }, items, total }),
    );
    this.orderIds.set(answer, orderId);
    return answer;
  }

  /** Refunds the order of a purchase this store recorded (under a correlation id, if given). */
  async refund(purchaseId: string, { correlationId }: { correlationId?: string } = {}): Promise<void> {
    const orderId = this.orderIds.get(purchaseId);
    if (!orderId) throw new Error(`no order of this store has purchase ${purchaseId}`);
    await this.deliver(storeRefund(orderId), correlationId);
  }

  private async deliver(payload: unknown, correlationId?: string): Promise<string> {
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = signStoreWebhook(this.secret, body);
    if (correlationId) headers['x-correlation-id'] = correlationId;
    const response = await fetch(`${this.service.url}/v1/webhooks/store`, { method: 'POST', headers, body });
    const answer = (await response.json()) as { purchaseId?: string };
    if (response.status !== 202 || !answer.purchaseId) {
      throw new Error(`store webhook answered ${response.status}: ${JSON.stringify(answer)}`);
    }
    return answer.purchaseId;
  }

  async stop(): Promise<void> {
    await this.service.stop();
    await this.db.drop();
  }
}
