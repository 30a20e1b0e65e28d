import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import { parse } from 'yaml';
import type { K8sObject } from './k8s-tools';

type Schema = Record<string, unknown>;

const objectMeta =
  'https://kubernetes.io/api/_definitions.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/**
 * A CRD's openAPIV3Schema (OpenAPI 3.0, Kubernetes structural schema) as a JSON Schema 2020-12,
 * strict the way the API server is not: an object that lists its properties and does not keep
 * unknown fields (`x-kubernetes-preserve-unknown-fields`) gets `additionalProperties: false`, so a
 * misspelt field is an error instead of being pruned silently. Not translated: the CEL rules
 * (`x-kubernetes-validations`) and `format`s (not checked).
 */
export function crdToJsonSchema(node: unknown, inCombinator = false): unknown {
  if (Array.isArray(node)) return node.map((item) => crdToJsonSchema(item, inCombinator));
  if (node === null || typeof node !== 'object') return node;
  const source = node as Schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(source)) {
    if (key.startsWith('x-kubernetes-') || key === 'description' || key === 'nullable' || key === 'format')
      continue;
    if (key === 'properties') {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([name, schema]) => [
          name,
          crdToJsonSchema(schema),
        ]),
      );
    } else if (key === 'items' || key === 'additionalProperties' || key === 'not') {
      out[key] = typeof value === 'object' ? crdToJsonSchema(value) : value;
    } else if (key === 'anyOf' || key === 'oneOf' || key === 'allOf') {
      out[key] = (value as unknown[]).map((branch) => crdToJsonSchema(branch, true));
    } else if (key === 'exclusiveMinimum' || key === 'exclusiveMaximum') {
      // OpenAPI 3.0 booleans modify minimum/maximum; 2020-12 takes the bound itself.
      const bound = key === 'exclusiveMinimum' ? 'minimum' : 'maximum';
      if (value === true) out[key] = source[bound];
    } else if (key === 'default' || key === 'example') {
      continue;
    } else {
      out[key] = value;
    }
  }
  if (source['exclusiveMinimum'] === true) delete out['minimum'];
  if (source['exclusiveMaximum'] === true) delete out['maximum'];
  if (source['x-kubernetes-int-or-string'] === true && out['anyOf'] === undefined) {
    out['anyOf'] = [{ type: 'integer' }, { type: 'string' }];
  }
  if (source['nullable'] === true && typeof out['type'] === 'string') out['type'] = [out['type'], 'null'];
  const keepsUnknown = source['x-kubernetes-preserve-unknown-fields'] === true;
  if (
    !inCombinator &&
    !keepsUnknown &&
    (source['type'] === 'object' || source['properties'] !== undefined) &&
    source['additionalProperties'] === undefined
  ) {
    out['additionalProperties'] = false;
  }
  return out;
}

interface CrdDocument {
  kind: string;
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; served: boolean; schema?: { openAPIV3Schema: Schema } }[];
  };
}

/** Validators for `apiVersion/kind`: the core kinds and every kind of the given CRD files. */
export class K8sValidator {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly crdKinds = new Set<string>();

  constructor(
    private readonly coreSchemaDir: string,
    crdFiles: string[],
  ) {
    this.ajv.addSchema(JSON.parse(readFileSync(join(coreSchemaDir, '_definitions.json'), 'utf8')) as Schema);
    for (const file of crdFiles) {
      const crd = parse(readFileSync(file, 'utf8')) as CrdDocument;
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      for (const version of crd.spec.versions) {
        if (!version.served || !version.schema) continue;
        const apiVersion = `${crd.spec.group}/${version.name}`;
        const root = crdToJsonSchema(version.schema.openAPIV3Schema) as Schema;
        const properties = {
          ...(root['properties'] as Schema),
          apiVersion: { const: apiVersion },
          kind: { const: crd.spec.names.kind },
          metadata: { $ref: objectMeta },
        };
        const key = `${apiVersion}/${crd.spec.names.kind}`;
        this.crdKinds.add(key);
        this.validators.set(
          key,
          this.ajv.compile({
            ...root,
            properties,
            required: [
              ...new Set([...((root['required'] as string[]) ?? []), 'apiVersion', 'kind', 'metadata']),
            ],
          }),
        );
      }
    }
  }

  /** Whether the kind is validated against a CRD (not a core schema). */
  isCustom(object: Pick<K8sObject, 'apiVersion' | 'kind'>): boolean {
    return this.crdKinds.has(`${object.apiVersion}/${object.kind}`);
  }

  private validatorFor(apiVersion: string, kind: string): ValidateFunction {
    const key = `${apiVersion}/${kind}`;
    let validator = this.validators.get(key);
    if (!validator) {
      const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
      const file = [kind.toLowerCase(), group === '' ? undefined : group.split('.')[0], version]
        .filter(Boolean)
        .join('-');
      let schema: Schema;
      try {
        schema = JSON.parse(readFileSync(join(this.coreSchemaDir, `${file}.json`), 'utf8')) as Schema;
      } catch {
        throw new Error(
          `no schema for ${key} (neither a core kind of this Kubernetes version nor a known CRD)`,
        );
      }
      validator = this.ajv.compile(schema);
      this.validators.set(key, validator);
    }
    return validator;
  }

  /** Every schema error of the object, as `kind/name: /path message` lines (none when valid). */
  errors(object: K8sObject): string[] {
    const validate = this.validatorFor(object.apiVersion, object.kind);
    // Named before validating: the validator is a type guard, and past a failed check `object` is `never`.
    const name = `${object.kind}/${object.metadata?.name ?? '?'}`;
    if (validate(object)) return [];
    return (validate.errors ?? []).map((error: ErrorObject) => {
      const extra =
        error.keyword === 'additionalProperties'
          ? ` (${String((error.params as { additionalProperty: string }).additionalProperty)})`
          : error.keyword === 'enum'
            ? ` (${JSON.stringify((error.params as { allowedValues: unknown }).allowedValues)})`
            : '';
      return `${name}: ${error.instancePath || '/'} ${error.message ?? error.keyword}${extra}`;
    });
  }
}
