import Ajv, { type ErrorObject, type JSONSchemaType, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { cloudEventSchema, type CloudEvent, type PublicCloudEvent } from './cloud-event';
import { accountCreatedV1Schema } from './events/account-created.v1';
import { licenseActivatedV1Schema } from './events/license-activated.v1';
import { licenseGeneratedV1Schema } from './events/license-generated.v1';
import { licenseRevokedV1Schema } from './events/license-revoked.v1';
import { purchaseAssignedV1Schema } from './events/purchase-assigned.v1';
import { purchaseRecordedV1Schema } from './events/purchase-recorded.v1';
import { purchaseRefundedV1Schema } from './events/purchase-refunded.v1';
import { patternMessages } from './events/shared';
import { usageRecordedV1Schema } from './events/usage-recorded.v1';
import { isPublicEventType, subjectFieldOf, type EventDataOf, type PublicEventType } from './topics';

export const eventDataSchemas: { readonly [T in PublicEventType]: JSONSchemaType<EventDataOf<T>> } = {
  'purchase.recorded.v1': purchaseRecordedV1Schema,
  'purchase.refunded.v1': purchaseRefundedV1Schema,
  'account.created.v1': accountCreatedV1Schema,
  'purchase.assigned.v1': purchaseAssignedV1Schema,
  'license.generated.v1': licenseGeneratedV1Schema,
  'license.activated.v1': licenseActivatedV1Schema,
  'license.revoked.v1': licenseRevokedV1Schema,
  'usage.recorded.v1': usageRecordedV1Schema,
};

// Strict mode turns schema mistakes (unknown keywords, typos in `required`) into compile errors;
// union types are allowed only because nullable fields are written as `type: [string, null]`.
const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
addFormats(ajv);

const dataValidators = new Map<PublicEventType, ValidateFunction>();
let envelopeValidator: ValidateFunction | undefined;

function dataValidatorOf<T extends PublicEventType>(type: T): ValidateFunction<EventDataOf<T>> {
  let validate = dataValidators.get(type);
  if (!validate) {
    validate = ajv.compile(eventDataSchemas[type]);
    dataValidators.set(type, validate);
  }
  return validate as ValidateFunction<EventDataOf<T>>;
}

export type ValidationResult = { ok: true } | { ok: false; errors: string[] };

/** Checks `data` against the schema of the public event `type`; errors name the field path. */
export function validateEventData(type: string, data: unknown): ValidationResult {
  if (!isPublicEventType(type)) return { ok: false, errors: [`type: unknown event type "${type}"`] };
  const validate = dataValidatorOf(type);
  return validate(data) ? { ok: true } : { ok: false, errors: formatErrors(validate.errors, '') };
}

export type ContractViolationCode = 'invalid-json' | 'invalid-envelope' | 'unknown-type' | 'invalid-data';

export class ContractViolationError extends Error {
  override readonly name = 'ContractViolationError';

  /** `unknown-type` lets a consumer skip event types it does not know instead of dead-lettering them. */
  constructor(
    readonly code: ContractViolationCode,
    readonly errors: readonly string[],
  ) {
    super(`${code}: ${errors.join('; ')}`);
  }
}

/** Throws ContractViolationError unless `event` is a valid CloudEvent of a public type with valid data. */
export function assertValidEvent(event: unknown): asserts event is PublicCloudEvent {
  envelopeValidator ??= ajv.compile(cloudEventSchema);
  if (!envelopeValidator(event)) {
    throw new ContractViolationError('invalid-envelope', formatErrors(envelopeValidator.errors, ''));
  }
  // The envelope schema has just proven the shape of these fields.
  const { type, subject, data } = event as { type: string; subject: string; data: Record<string, unknown> };
  if (!isPublicEventType(type)) {
    throw new ContractViolationError('unknown-type', [`type: unknown event type "${type}"`]);
  }
  const validate = dataValidatorOf(type);
  if (!validate(data)) {
    throw new ContractViolationError('invalid-data', formatErrors(validate.errors, 'data'));
  }
  const subjectField = subjectFieldOf[type];
  if (data[subjectField] !== subject) {
    throw new ContractViolationError('invalid-data', [
      `subject: must equal data.${subjectField} ("${String(data[subjectField])}"), the aggregate id`,
    ]);
  }
}

/** Parses a Kafka record value into a validated public CloudEvent, or throws ContractViolationError. */
export function parseCloudEvent(raw: Buffer | string): PublicCloudEvent {
  const event = parseCloudEventEnvelope(raw);
  assertValidEvent(event);
  return event;
}

/**
 * Parses a record value into a CloudEvent whose envelope is valid, of any type and with its data
 * unchecked: what a consumer needs to record and skip a type it does not handle (producers add types
 * over time). Throws ContractViolationError for anything that is not a CloudEvent at all.
 */
export function parseCloudEventEnvelope(raw: Buffer | string): CloudEvent<string, Record<string, unknown>> {
  let event: unknown;
  try {
    event = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch (error) {
    throw new ContractViolationError('invalid-json', [`(root): not valid JSON: ${(error as Error).message}`]);
  }
  envelopeValidator ??= ajv.compile(cloudEventSchema);
  if (!envelopeValidator(event)) {
    throw new ContractViolationError('invalid-envelope', formatErrors(envelopeValidator.errors, ''));
  }
  return event as CloudEvent<string, Record<string, unknown>>;
}

function formatErrors(errors: ErrorObject[] | null | undefined, root: string): string[] {
  const reported = (errors ?? [])
    .filter((error) => error.keyword !== 'if') // its then/else branch error says what is wrong
    .map((error) => {
      const path = pointerToPath(error.instancePath, root);
      switch (error.keyword) {
        case 'required':
          return { path: join(path, error.params.missingProperty), rank: 0, text: 'is required' };
        case 'additionalProperties':
          return {
            path: join(path, error.params.additionalProperty),
            rank: 0,
            text: 'is not an allowed field',
          };
        default:
          return { path: path || '(root)', rank: rankOf(error), text: describe(error) };
      }
    });
  // One field's value can break several rules; report only the most basic kind, so that null in an
  // enum field says "must be string" and not also "must be one of".
  const best = new Map<string, number>();
  for (const { path, rank } of reported) best.set(path, Math.min(rank, best.get(path) ?? rank));
  return reported
    .filter(({ path, rank }) => rank === best.get(path))
    .map(({ path, text }) => `${path}: ${text}`);
}

function rankOf(error: ErrorObject): number {
  if (/\/(then|else)\//.test(error.schemaPath)) return 2;
  return error.keyword === 'type' ? 0 : 1;
}

function describe(error: ErrorObject): string {
  const params: Record<string, unknown> = error.params;
  switch (error.keyword) {
    case 'type':
      return `must be ${[params.type].flat().join(' or ')}`;
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case 'pattern':
      return patternMessages[params.pattern as string] ?? error.message ?? 'is invalid';
    default:
      return error.message ?? 'is invalid';
  }
}

/** "/items/0/unitPrice" -> "items[0].unitPrice" (JSON Pointer escapes ~1 and ~0 undone). */
function pointerToPath(pointer: string, root: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, token) => (/^\d+$/.test(token) ? `${path}[${token}]` : join(path, token)), root);
}

const join = (path: string, field: string): string => (path ? `${path}.${field}` : field);
