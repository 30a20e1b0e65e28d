import { readFileSync } from 'node:fs';
import Ajv, { type JSONSchemaType } from 'ajv';
import { terms, type CatalogEntry } from './domain/catalog-entry';

export type { CatalogEntry, Term } from './domain/catalog-entry';

export interface CatalogFile {
  version: 1;
  skus: CatalogEntry[];
}

const NAME = { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$' } as const;

const schema: JSONSchemaType<CatalogFile> = {
  type: 'object',
  properties: {
    version: { type: 'integer', const: 1 },
    skus: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: {
          sku: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$' },
          product: NAME,
          unit: NAME,
          term: { type: 'string', enum: terms },
          seatsPerQuantity: { type: 'integer', minimum: 1, maximum: 1_000_000 },
        },
        required: ['sku', 'product', 'unit', 'term', 'seatsPerQuantity'],
        additionalProperties: false,
      },
    },
  },
  required: ['version', 'skus'],
  additionalProperties: false,
};

const validate = new Ajv({ allErrors: true }).compile(schema);

export class CatalogError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'CatalogError';
  }
}

/** The SKUs the service can license, versioned; anything else is held for review. */
export class Catalog {
  private readonly bySku: ReadonlyMap<string, CatalogEntry>;

  constructor(readonly file: CatalogFile) {
    this.bySku = new Map(file.skus.map((entry) => [entry.sku, entry]));
  }

  get version(): number {
    return this.file.version;
  }

  find(sku: string): CatalogEntry | undefined {
    return this.bySku.get(sku);
  }

  /** Validates a parsed catalog document; every problem is named. */
  static parse(document: unknown): Catalog {
    if (!validate(document)) {
      throw new CatalogError(
        (validate.errors ?? []).map(
          (error) => `${error.instancePath || '(root)'} ${error.message ?? 'is invalid'}`,
        ),
      );
    }
    const seen = new Set<string>();
    const duplicates = document.skus.filter((entry) => seen.size === seen.add(entry.sku).size);
    if (duplicates.length > 0) {
      throw new CatalogError(duplicates.map((entry) => `sku ${entry.sku} is listed more than once`));
    }
    return new Catalog(document);
  }

  static load(path: string): Catalog {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new CatalogError([`cannot read ${path}: ${(error as Error).message}`]);
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      throw new CatalogError([`${path} is not JSON: ${(error as Error).message}`]);
    }
    return Catalog.parse(document);
  }
}
