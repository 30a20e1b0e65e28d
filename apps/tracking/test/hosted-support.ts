import { randomUUID } from 'node:crypto';
import { Kafka, type Producer } from 'kafkajs';
import { topics } from '@otl/contracts';
import { licenseKeyHash, newLicenseKey } from '@otl/licensing';
import { eventually, requireEnv } from '@otl/testing';

/** A producer on the test broker, to put licence records on licenses.v1 by hand. */
export async function licenseProducer(clientId: string): Promise<Producer> {
  const producer = new Kafka({ brokers: requireEnv('KAFKA_BROKERS').split(','), clientId }).producer();
  await producer.connect();
  return producer;
}

const cloudEvent = (type: string, subject: string, data: object) =>
  JSON.stringify({
    specversion: '1.0',
    id: randomUUID(),
    source: '/tracking-e2e',
    type,
    subject,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data,
  });

export interface FeedOptions {
  seats?: Record<string, number>;
  mode?: 'vendor-hosted' | 'self-hosted' | null;
  expiresAt?: string | null;
}

export interface FedLicense {
  licenseId: string;
  accountId: string;
  key: string;
}

/**
 * A licence put on licenses.v1 by hand: generated, then activated as asked (or not at all). Returns
 * once `usage` (a GET of the key's usage on a running instance) shows the LTS has applied it.
 */
export async function feedLicense(
  producer: Producer,
  usage: (licenseKey: string) => Promise<{ status: number; body: unknown }>,
  options: FeedOptions = {},
): Promise<FedLicense> {
  const { seats = { 'web-twain': 1 }, mode = 'vendor-hosted', expiresAt = null } = options;
  const licenseId = randomUUID();
  const accountId = randomUUID();
  const key = newLicenseKey();
  const now = new Date().toISOString();
  const messages = [
    {
      key: licenseId,
      value: cloudEvent('license.generated.v1', licenseId, {
        licenseId,
        accountId,
        licenseKeyHash: licenseKeyHash(key),
        items: Object.entries(seats).map(([product, quantity]) => ({
          itemId: randomUUID(),
          sku: `${product.toUpperCase()}-SKU`,
          product,
          unit: 'device',
          quantity,
          expiresAt: null,
        })),
        generatedAt: now,
      }),
    },
  ];
  if (mode) {
    messages.push({
      key: licenseId,
      value: cloudEvent('license.activated.v1', licenseId, {
        licenseId,
        accountId,
        trackingMode: mode,
        ltsInstanceId: mode === 'self-hosted' ? 'lts-site-1' : null,
        entitlements: Object.entries(seats).map(([product, count]) => ({
          product,
          unit: 'device',
          seats: count,
          expiresAt,
        })),
        activatedAt: now,
      }),
    });
  }
  await producer.send({ topic: topics.licenses, messages });
  // Known once the usage call finds the key (the last record applies after the first).
  await eventually(
    async () => {
      const answer = await usage(key);
      if (answer.status !== 200) return undefined;
      return mode !== 'vendor-hosted' || (answer.body as unknown[]).length > 0 ? true : undefined;
    },
    { what: `licence ${licenseId} to be tracked`, timeoutMs: 30_000 },
  );
  return { licenseId, accountId, key };
}

/** A licence's revocation (a refund) put on licenses.v1. */
export async function revokeLicense(producer: Producer, licenseId: string, accountId: string): Promise<void> {
  await producer.send({
    topic: topics.licenses,
    messages: [
      {
        key: licenseId,
        value: cloudEvent('license.revoked.v1', licenseId, {
          licenseId,
          accountId,
          reason: 'refund',
          revokedAt: new Date().toISOString(),
        }),
      },
    ],
  });
}
