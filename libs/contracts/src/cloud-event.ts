import type { JSONSchemaType } from 'ajv';
import { JSON_SCHEMA_DIALECT, SCHEMA_BASE_URL, dateTime, text, uuid } from './events/shared';
import type { EventDataOf, PublicEventType } from './topics';

/** CloudEvents 1.0 structured-mode document: the value of every public Kafka record. */
export interface CloudEvent<TType extends string = string, TData = unknown> {
  specversion: '1.0';
  /** UUID; consumers dedupe on it. */
  id: string;
  /** URI-reference of the producing service, e.g. "/store-webhook". */
  source: string;
  type: TType;
  /** Aggregate id; also the Kafka record key. */
  subject: string;
  /** RFC 3339 date-time. */
  time: string;
  datacontenttype: 'application/json';
  data: TData;
}

/** A public event with its typed data; without a parameter, the union discriminated by `type`. */
export type PublicCloudEvent<T extends PublicEventType = PublicEventType> = T extends PublicEventType
  ? CloudEvent<T, EventDataOf<T>>
  : never;

type CloudEventDocument = CloudEvent<string, Record<string, unknown>>;

/**
 * Envelope only; `data` is checked against the schema for `type`. `type` is any non-empty string
 * here so that a consumer's envelope check keeps passing when a new event type is added to a topic.
 * Extension attributes are refused: every public attribute is listed in the contract.
 */
export const cloudEventSchema: JSONSchemaType<CloudEventDocument> = {
  $schema: JSON_SCHEMA_DIALECT,
  $id: `${SCHEMA_BASE_URL}/cloudevent.json`,
  title: 'CloudEvents 1.0 envelope',
  description:
    'Structured-mode CloudEvent carried as the value of every public Kafka record; key = subject. ' +
    'Validate data against the schema named by type.',
  type: 'object',
  properties: {
    specversion: { type: 'string', const: '1.0' },
    id: uuid,
    source: { type: 'string', format: 'uri-reference', minLength: 1 },
    type: text,
    subject: text,
    time: dateTime,
    datacontenttype: { type: 'string', const: 'application/json' },
    data: { type: 'object' },
  },
  required: ['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'data'],
  additionalProperties: false,
};

export interface CloudEventInput<T extends PublicEventType> {
  id: string;
  source: string;
  type: T;
  subject: string;
  /** A Date is written in UTC with millisecond precision; a string is kept as given. */
  time: Date | string;
  data: EventDataOf<T>;
}

/** Wraps event data in the envelope. Pure: validate with `assertValidEvent`. */
export function toCloudEvent<T extends PublicEventType>(
  input: CloudEventInput<T>,
): CloudEvent<T, EventDataOf<T>> {
  return {
    specversion: '1.0',
    id: input.id,
    source: input.source,
    type: input.type,
    subject: input.subject,
    time: input.time instanceof Date ? input.time.toISOString() : input.time,
    datacontenttype: 'application/json',
    data: input.data,
  };
}
