import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@otl/platform';
import { newSigningKey } from '@otl/testing';
import { Catalog, CatalogError } from './catalog/catalog';
import { loadConfig } from './config';

const base = {
  DATABASE_URL: 'postgres://u:p@localhost:5432/license',
  KAFKA_BROKERS: 'localhost:9092',
  LICENSE_SIGNING_KEY: newSigningKey(),
  LICENSE_CATALOG_FILE: 'apps/license/catalog.v1.json',
};

function catalogFile(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'catalog-')), 'catalog.json');
  writeFileSync(file, content);
  return file;
}

describe('license config and catalog', () => {
  it('loads the shipped catalog with the three SKUs of the contract', () => {
    const config = loadConfig(base);
    expect(config.port).toBe(3105);
    expect(
      config.catalog.file.skus.map((entry) => [entry.sku, entry.product, entry.unit, entry.term]),
    ).toEqual([
      ['WEBTWAIN-PRO-DOMAIN-1Y', 'web-twain', 'domain', '1y'],
      ['BARCODE-JS-DEVICE-1Y', 'barcode-reader-js', 'device', '1y'],
      ['BARCODE-SERVER-INSTANCE-PERP', 'barcode-reader-server', 'instance', 'perpetual'],
    ]);
    expect(config.fileKeys.jwks().keys).toHaveLength(1);
  });

  it.each([
    ['a missing file', '/nonexistent/catalog.json', /cannot read/],
    ['not JSON', catalogFile('{'), /is not JSON/],
    [
      'a bad term',
      catalogFile(
        JSON.stringify({
          version: 1,
          skus: [{ sku: 'A', product: 'p', unit: 'u', term: '2y', seatsPerQuantity: 1 }],
        }),
      ),
      /term/,
    ],
    [
      'zero seats',
      catalogFile(
        JSON.stringify({
          version: 1,
          skus: [{ sku: 'A', product: 'p', unit: 'u', term: '1y', seatsPerQuantity: 0 }],
        }),
      ),
      /seatsPerQuantity/,
    ],
    [
      'a repeated SKU',
      catalogFile(
        JSON.stringify({
          version: 1,
          skus: [1, 2].map(() => ({ sku: 'A', product: 'p', unit: 'u', term: '1y', seatsPerQuantity: 1 })),
        }),
      ),
      /more than once/,
    ],
    [
      'an unknown field',
      catalogFile(JSON.stringify({ version: 1, skus: [], extra: true })),
      /additional|fewer/,
    ],
  ])('refuses to start with %s, naming LICENSE_CATALOG_FILE', (_what, file, message) => {
    const run = () => loadConfig({ ...base, LICENSE_CATALOG_FILE: file });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(/LICENSE_CATALOG_FILE/);
    expect(run).toThrow(message);
  });

  it('names a missing signing key', () => {
    expect(() => loadConfig({ ...base, LICENSE_SIGNING_KEY: undefined })).toThrow(
      /LICENSE_SIGNING_KEY is required/,
    );
  });

  it('finds catalog entries by SKU and nothing else', () => {
    const catalog = Catalog.parse({
      version: 1,
      skus: [{ sku: 'A-1', product: 'p', unit: 'u', term: 'perpetual', seatsPerQuantity: 5 }],
    });
    expect(catalog.find('A-1')?.seatsPerQuantity).toBe(5);
    expect(catalog.find('a-1')).toBeUndefined();
    expect(() => Catalog.parse({ version: 2, skus: [] })).toThrow(CatalogError);
  });
});
