import { stringify } from 'yaml';
import { toCloudEvent } from '../src/cloud-event';
import type { Channel } from '../src/events/purchase-recorded.v1';
import { eventExamples } from '../src/examples';
import { schemaFiles } from '../src/schema-files';
import {
  allTopics,
  dlqTopicOf,
  publicEventTypes,
  subjectFieldOf,
  topicOf,
  type EventDataOf,
  type PublicEventType,
} from '../src/topics';
import { eventDataSchemas } from '../src/validation';
import { sendersOf, type PlatformFacts } from './platform-facts';

/**
 * The AsyncAPI 3.0 document of the public events, built from libs/contracts (topics, event types,
 * keys, JSON Schemas) and the platform facts (who sends and receives what). Written to
 * libs/contracts/asyncapi.yaml by `npm run contracts:asyncapi`; a spec fails while the two differ.
 */

export const ASYNCAPI_FILE = 'libs/contracts/asyncapi.yaml';
const KAFKA_BINDING_VERSION = '0.5.0';

/** Headers the forwarder sets on every public record (libs/event-store/src/public-events.ts). */
export const eventHeaderNames = ['ce-id', 'ce-type', 'correlation-id', 'traceparent', 'tracestate'] as const;

/** Headers the inbox consumer adds when it parks a record (libs/event-store/src/inbox-consumer.ts). */
export const deadLetterHeaderNames = [
  'dlq-consumer',
  'dlq-original-topic',
  'dlq-original-partition',
  'dlq-original-offset',
  'dlq-attempts',
  'dlq-error-name',
  'dlq-error-message',
  'dlq-failed-at',
] as const;

/** Which data field holds the time the example event happened (its CloudEvent `time`). */
const timeFieldOf: { readonly [T in PublicEventType]: keyof EventDataOf<T> & string } = {
  'purchase.recorded.v1': 'recordedAt',
  'purchase.refunded.v1': 'refundedAt',
  'account.created.v1': 'createdAt',
  'purchase.assigned.v1': 'assignedAt',
  'license.generated.v1': 'generatedAt',
  'license.activated.v1': 'activatedAt',
  'license.revoked.v1': 'revokedAt',
  'usage.recorded.v1': 'at',
};

/** The service that records purchases of each sales channel (for the examples' CloudEvent source). */
const senderOfChannel: { readonly [C in Channel]: string } = {
  store: 'store-webhook',
  'purchase-order': 'po-intake',
  reseller: 'reseller-intake',
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const ref = (pointer: string): JsonObject => ({ $ref: pointer });
const channelRef = (topic: string) => ref(`#/channels/${topic}`);
const schemaRef = (name: string) => ref(`#/components/schemas/${name}`);
const messageRef = (topic: string, message: string) => ref(`#/channels/${topic}/messages/${message}`);
const code = (values: readonly string[]) => values.map((value) => `\`${value}\``).join(', ');
const kafka = (binding: JsonObject): JsonObject => ({
  kafka: { ...binding, bindingVersion: KAFKA_BINDING_VERSION },
});

const typesOn = (topic: string) => publicEventTypes.filter((type) => topicOf[type] === topic);

export function asyncApiDocument(facts: PlatformFacts): JsonObject {
  return {
    asyncapi: '3.0.0',
    id: 'urn:order-to-license:events',
    info: info(facts),
    defaultContentType: 'application/cloudevents+json',
    servers: servers(),
    channels: Object.fromEntries(
      allTopics.flatMap((topic) => [topicChannel(facts, topic), dlqChannel(facts, topic)]),
    ),
    operations: operations(facts),
    components: {
      schemas: {
        ...Object.fromEntries(
          schemaFiles().map(({ fileName, content }) => [
            fileName.replace(/\.json$/, ''),
            JSON.parse(content),
          ]),
        ),
        eventHeaders: eventHeaders(),
        deadLetterHeaders: deadLetterHeaders(),
      },
      messages: Object.fromEntries([
        ...publicEventTypes.map((type) => [type, eventMessage(facts, type)]),
        ...allTopics.map((topic) => [`dead-letter.${topic}`, deadLetterMessage(topic)]),
      ]),
      securitySchemes: {
        scramSha512: {
          type: 'scramSha512',
          description:
            'SASL/SCRAM-SHA-512 over TLS, one Kafka user per service (in Kubernetes a Strimzi `KafkaUser` ' +
            'whose ACLs allow exactly the topics and consumer groups that service uses). A consumer such ' +
            'as billing gets its own user with read access to the topics it consumes and its own group.',
        },
      },
    },
  };
}

/** The document as committed: YAML, with a header naming its generator. */
export function asyncApiYaml(facts: PlatformFacts): string {
  const header =
    '# Generated from libs/contracts and tools/stack/services.mjs by `npm run contracts:asyncapi`.\n' +
    '# Do not edit: change the contracts and regenerate (libs/contracts/asyncapi/asyncapi.deploy.spec.ts\n' +
    '# fails while this file differs from a fresh generation).\n';
  return (
    header +
    stringify(asyncApiDocument(facts), {
      lineWidth: 0,
      aliasDuplicateObjects: false,
      singleQuote: true,
      // Quote what a YAML 1.1 reader (js-yaml, PyYAML) would take for a timestamp, number or boolean.
      version: '1.1',
    })
  );
}

function info(facts: PlatformFacts): JsonObject {
  const producers = facts.services
    .filter((service) => service.produces.length > 0)
    .map((service) => service.name);
  return {
    title: 'Order-to-license platform events',
    version: facts.version,
    description: [
      'The public events of the order-to-license platform on Kafka, for billing and every other consumer.',
      'Generated from `libs/contracts` (topics, event types, keys, JSON Schemas) and',
      '`tools/stack/services.mjs` (which service sends and receives what); see docs/asyncapi.md.',
      '',
      '## A record',
      '',
      '- **Value**: a CloudEvents 1.0 structured-mode JSON document (UTF-8). Its `type` names the message;',
      "  its `data` follows that type's JSON Schema (`components.schemas.<type>`, the same documents as",
      '  `libs/contracts/schemas/<type>.json`). `source` is `/<service>` of the producing service',
      `  (${code(producers.map((name) => `/${name}`))}).`,
      '- **Key**: the CloudEvent `subject`, the id of the aggregate the event is about (purchaseId,',
      "  accountId or licenseId: see each message's Kafka binding).",
      '- **Headers**: `ce-id` and `ce-type` (copies of `id` and `type`, to route without parsing),',
      '  `correlation-id` when the causing request or record had one, and the W3C trace context',
      '  `traceparent` / `tracestate` when the producer traced the work. Ignore headers you do not know.',
      '',
      '## Delivery',
      '',
      '- **At least once.** A record may arrive more than once (producer retries, a forwarder restarting',
      '  before it saved its checkpoint, a consumer group rebalancing). Deduplicate on the CloudEvent `id`:',
      '  one id is one event, never reused. Record the ids you applied in the same transaction as the',
      '  effect (an inbox), and skip an id you have seen.',
      '- **Ordered per key.** Every event of one aggregate has the same key, so it lands on the same',
      '  partition and arrives in the order it was committed. There is no order across keys, partitions',
      '  or topics: a `purchase.assigned.v1` (accounts.v1) may be read before the `purchase.recorded.v1`',
      '  (purchases.v1) it follows from.',
      '- **New types.** A topic may gain event types; a breaking change is a new `.v2` type, never a',
      '  change to a published one. Skip (and do not dead-letter) a `type` you do not handle.',
      '- **Dead letters.** `<topic>.dlq` holds records a platform consumer could not process, with the',
      '  error in `dlq-*` headers. They are for operators; they are not events to act on.',
      '',
      '## For billing',
      '',
      '- `purchases.v1`: `purchase.recorded.v1` is a sale (channel, externalRef, customer, items with',
      '  `unitPrice`, plus `currency` and `total`: decimal strings, never floats, and nullable in the',
      '  contract, so treat `null` as "no price given") and `purchase.refunded.v1` reverses it. Both are',
      '  keyed by purchaseId and published by the channel that recorded the purchase, so a refund is',
      '  read after its purchase.',
      '- `accounts.v1`: `purchase.assigned.v1` ties a purchase to the customer account that owns it',
      "  (bill-to); `account.created.v1` carries that account's email, name and company.",
      '- `licenses.v1` and `usage.v1` (optional): licence generation, activation and revocation, and seat',
      '  usage per licence, for entitlement- or usage-based billing.',
      '- Read with a consumer group of your own, starting from the earliest offset the first time.',
    ].join('\n'),
    license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
  };
}

function servers(): JsonObject {
  return {
    local: {
      host: '127.0.0.1:9092',
      protocol: 'kafka',
      title: 'Local stack',
      description:
        'The single-node Kafka that `npm start` runs (PLAINTEXT, no authentication); the services ' +
        'create their topics on it at start-up.',
    },
    production: {
      host: '{bootstrapServers}',
      protocol: 'kafka-secure',
      title: 'A deployment',
      description:
        'The Kafka cluster of a deployment, reached over TLS with SCRAM-SHA-512. Its bootstrap address ' +
        'is what that deployment passes to the services as `KAFKA_BROKERS`; in Kubernetes, the TLS ' +
        'bootstrap service of its Strimzi `Kafka`.',
      variables: {
        bootstrapServers: {
          description:
            'Comma-separated `host:port` bootstrap brokers of the deployment (its `KAFKA_BROKERS`), ' +
            'given to you by whoever runs it.',
        },
      },
      security: [ref('#/components/securitySchemes/scramSha512')],
    },
  };
}

function partitionsText(facts: PlatformFacts): string {
  return (
    `Partitions: a service creates a missing topic with \`KAFKA_PARTITIONS\` partitions (default ` +
    `${facts.defaultPartitions}); a managed deployment declares them per topic. Never assume a count: ` +
    'ordering holds per key only.'
  );
}

function topicChannel(facts: PlatformFacts, topic: string): [string, JsonObject] {
  const types = typesOn(topic);
  const producers = facts.services.filter((service) => service.produces.includes(topic)).map((s) => s.name);
  const groups = consumerGroups(facts).filter(({ topics }) => topics.includes(topic));
  return [
    topic,
    {
      address: topic,
      title: topic,
      description: [
        `Event types: ${code(types)}. Key: the CloudEvent subject (${code([
          ...new Set(types.map((type) => subjectFieldOf[type])),
        ])}).`,
        `Published by ${code(producers)}; read by the consumer groups ${code(groups.map((g) => g.group))}.`,
        partitionsText(facts),
      ].join('\n\n'),
      messages: Object.fromEntries(types.map((type) => [type, ref(`#/components/messages/${type}`)])),
      bindings: kafka({ topic }),
    },
  ];
}

function dlqChannel(facts: PlatformFacts, topic: string): [string, JsonObject] {
  const dlq = dlqTopicOf(topic);
  const groups = consumerGroups(facts).filter(({ topics }) => topics.includes(topic));
  return [
    dlq,
    {
      address: dlq,
      title: dlq,
      description: [
        `Dead letters of \`${topic}\`: where a consumer ` +
          (groups.length > 0
            ? `(in the platform: ${code(groups.map((g) => g.group))}) `
            : '(no platform consumer reads this topic yet; the topic exists for those that will) ') +
          'parks a record it could not process, so that the record never blocks its partition: at once for a ' +
          'value that is not a CloudEvent or whose data breaks the schema of a type the consumer handles, ' +
          `and after bounded retries (${facts.inboxMaxAttempts} attempts) for a record whose handler keeps failing. A database ` +
          'outage is waited out, never dead-lettered; a type the consumer does not handle is skipped.',
        'The record keeps the original key, value and headers; the `dlq-*` headers say who parked it, ' +
          'from where and why. Nothing in the platform reads this topic: it is for operators to inspect. ' +
          'A record produced again to the original topic once its cause is fixed is applied then ' +
          '(a parked record is not in the inbox), and at most once (the inbox dedupes by id).',
        partitionsText(facts),
      ].join('\n\n'),
      messages: { [`dead-letter.${topic}`]: ref(`#/components/messages/dead-letter.${topic}`) },
      bindings: kafka({ topic: dlq }),
    },
  ];
}

interface ConsumerGroup {
  service: string;
  group: string;
  topics: string[];
  handles: PublicEventType[];
}

function consumerGroups(facts: PlatformFacts): ConsumerGroup[] {
  return facts.services.flatMap((service) =>
    Object.entries(service.consumes).map(([group, topics]) => ({
      service: service.name,
      group,
      topics,
      handles: service.handles,
    })),
  );
}

function operations(facts: PlatformFacts): JsonObject {
  const entries: [string, JsonObject][] = [];
  for (const service of facts.services) {
    for (const topic of service.produces) {
      const types = typesOn(topic).filter((type) => sendersOf(facts, type).includes(service.name));
      if (types.length === 0)
        throw new Error(`${service.name} produces ${topic} but emits none of its types`);
      entries.push([
        `${service.name}.publish.${topic}`,
        {
          action: 'send',
          channel: channelRef(topic),
          title: `${service.name} publishes to ${topic}`,
          summary: `${service.name} publishes ${types.join(', ')}.`,
          description:
            `The outbox forwarder of ${service.name} publishes each event once it is committed to the ` +
            "service's event store, in commit order, with an idempotent producer and acks=all. A crash " +
            'between the send and its checkpoint sends the event again (same id): at least once.',
          tags: [{ name: `service:${service.name}` }],
          messages: types.map((type) => messageRef(topic, type)),
        },
      ]);
    }
  }
  for (const { service, group, topics, handles } of consumerGroups(facts)) {
    for (const topic of topics) {
      const types = typesOn(topic).filter((type) => handles.includes(type));
      const skipped = typesOn(topic).filter((type) => !handles.includes(type));
      entries.push([
        `${group}.consume.${topic}`,
        {
          action: 'receive',
          channel: channelRef(topic),
          title: `${group} reads ${topic}`,
          summary: `${service} acts on ${types.join(', ') || 'no type of this topic'}.`,
          description:
            `Consumer group \`${group}\` of ${service}. Each record is applied at most once through an ` +
            'inbox keyed by the CloudEvent id, committed together with its effect' +
            (skipped.length > 0 ? `; ${code(skipped)} and unknown types are recorded and skipped.` : '.'),
          tags: [{ name: `service:${service}` }],
          messages: types.map((type) => messageRef(topic, type)),
          bindings: kafka({ groupId: { type: 'string', enum: [group] } }),
        },
      ]);
      entries.push([
        `${group}.dead-letter.${topic}`,
        {
          action: 'send',
          channel: channelRef(dlqTopicOf(topic)),
          title: `${group} parks records of ${topic}`,
          summary: `${service} parks the ${topic} records it cannot process on ${dlqTopicOf(topic)}.`,
          tags: [{ name: `service:${service}` }],
          messages: [messageRef(dlqTopicOf(topic), `dead-letter.${topic}`)],
        },
      ]);
    }
  }
  return Object.fromEntries(entries);
}

function eventHeaders(): JsonObject {
  return {
    title: 'Headers of a public event record',
    description:
      'Kafka record headers (UTF-8 strings). `ce-id` and `ce-type` repeat the CloudEvent `id` and `type`; ' +
      'the value stays the source of truth. Consumers must ignore headers they do not know.',
    type: 'object',
    properties: {
      'ce-id': { type: 'string', format: 'uuid', description: 'The CloudEvent `id`.' },
      'ce-type': { type: 'string', minLength: 1, description: 'The CloudEvent `type`.' },
      'correlation-id': {
        type: 'string',
        minLength: 1,
        description:
          'Correlation id of the HTTP request or Kafka record that caused the event; absent when there was none.',
      },
      traceparent: {
        type: 'string',
        pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
        description:
          'W3C Trace Context `traceparent` of the work that produced the event (optional: only when tracing ' +
          'is on). A consumer that traces continues the trace from it.',
      },
      tracestate: {
        type: 'string',
        description: 'W3C Trace Context `tracestate`, sent with `traceparent` when there is one (optional).',
      },
    },
    required: ['ce-id', 'ce-type'],
    additionalProperties: true,
  };
}

function deadLetterHeaders(): JsonObject {
  const text = (description: string): JsonObject => ({ type: 'string', minLength: 1, description });
  const integer = (description: string): JsonObject => ({ type: 'string', pattern: '^[0-9]+$', description });
  return {
    title: 'Headers of a dead-lettered record',
    description:
      "The original record's headers (for a public event: `ce-id`, `ce-type`, `correlation-id`, " +
      '`traceparent`, `tracestate`), plus these, set by the consumer that parked it.',
    type: 'object',
    properties: {
      'dlq-consumer': text('Consumer group (and inbox name) that parked the record.'),
      'dlq-original-topic': text('Topic the record was read from.'),
      'dlq-original-partition': integer('Partition it was read from (decimal).'),
      'dlq-original-offset': integer('Its offset there (decimal).'),
      'dlq-attempts': integer(
        'How many times the consumer tried it (1 for a record that could not be parsed).',
      ),
      'dlq-error-name': text('Name of the last error, e.g. `ContractViolationError`.'),
      'dlq-error-message': {
        type: 'string',
        maxLength: 2000,
        description: 'Message of the last error, cut to 2000 characters.',
      },
      'dlq-failed-at': {
        type: 'string',
        format: 'date-time',
        description: 'When it was parked (RFC 3339, UTC).',
      },
    },
    required: [...deadLetterHeaderNames],
    additionalProperties: true,
  };
}

function exampleId(type: PublicEventType): string {
  return `5d9c8f3e-7b1a-4c2d-9e8f-${(publicEventTypes.indexOf(type) + 1).toString(16).padStart(12, '0')}`;
}

function eventMessage(facts: PlatformFacts, type: PublicEventType): JsonObject {
  const topic = topicOf[type];
  const subjectField = subjectFieldOf[type];
  const data = eventExamples[type];
  const senders = sendersOf(facts, type);
  const receivers = consumerGroups(facts).filter(
    ({ topics, handles }) => topics.includes(topic) && handles.includes(type),
  );
  if (senders.length === 0) throw new Error(`no service emits ${type}`);
  // An example from a sales channel comes from that channel's service when it sends the type.
  const channel = (data as { channel?: Channel }).channel;
  const ofChannel = channel === undefined ? undefined : senderOfChannel[channel];
  const source = `/${ofChannel !== undefined && senders.includes(ofChannel) ? ofChannel : senders[0]}`;
  // The key is the subject field's value, so it has that field's schema (a UUID today).
  const properties = eventDataSchemas[type].properties as Record<string, JsonObject>;
  const { type: keyType, format: keyFormat } = properties[subjectField] ?? {};
  if (keyType !== 'string') throw new Error(`${type}.${subjectField}: the subject must be a string`);
  const keySchema: JsonObject = { type: keyType, ...(keyFormat === undefined ? {} : { format: keyFormat }) };
  const example = toCloudEvent({
    id: exampleId(type),
    source,
    type,
    subject: String(data[subjectField as keyof typeof data]),
    time: String(data[timeFieldOf[type] as keyof typeof data]),
    data,
  });
  return {
    name: type,
    title: type,
    summary: eventDataSchemas[type].description ?? type,
    description:
      `Sent by ${code(senders)} (CloudEvent source ${code(senders.map((name) => `/${name}`))}); acted on by ` +
      `${receivers.length > 0 ? code(receivers.map((g) => g.group)) : 'no platform consumer'}.`,
    contentType: 'application/cloudevents+json',
    headers: {
      allOf: [schemaRef('eventHeaders'), { properties: { 'ce-type': { type: 'string', const: type } } }],
    },
    payload: {
      allOf: [
        schemaRef('cloudevent'),
        {
          properties: {
            type: { type: 'string', const: type },
            subject: { ...keySchema, description: `Equals \`data.${subjectField}\`.` },
            data: schemaRef(type),
          },
        },
      ],
    },
    correlationId: {
      location: '$message.header#/correlation-id',
      description: 'The correlation id of the request or record that caused the event, when there was one.',
    },
    bindings: kafka({
      key: {
        ...keySchema,
        description: `The ${subjectField} (the CloudEvent subject): all events of one ${subjectField.replace(/Id$/, '')} share a partition.`,
      },
    }),
    tags: [{ name: `topic:${topic}` }],
    examples: [
      {
        name: type.replace(/\./g, '-'),
        summary: `A ${type} record`,
        headers: {
          'ce-id': example.id,
          'ce-type': type,
          'correlation-id': `req-${example.id.slice(-4)}`,
          traceparent: `00-4bf92f3577b34da6a3ce929d0e0e${example.id.slice(-4)}-00f067aa0ba902b7-01`,
        },
        payload: example as unknown as JsonObject,
      },
    ],
  };
}

function deadLetterMessage(topic: string): JsonObject {
  return {
    name: `dead-letter.${topic}`,
    title: `A dead-lettered ${topic} record`,
    summary: `A ${topic} record a consumer could not process, as it was read, with the reason in its headers.`,
    description:
      "Key and value are the original record's bytes, unchanged: usually one of the messages of " +
      `\`${topic}\`, but possibly anything (invalid JSON, a broken CloudEvent, no value at all), which ` +
      'may be why it was parked.',
    headers: {
      allOf: [
        schemaRef('deadLetterHeaders'),
        { properties: { 'dlq-original-topic': { type: 'string', const: topic } } },
      ],
    },
    payload: {
      description: `The original value, byte for byte (normally a CloudEvent of ${code(typesOn(topic))}).`,
    },
    bindings: kafka({ key: { type: ['string', 'null'], description: 'The original key, unchanged.' } }),
    tags: [{ name: `topic:${dlqTopicOf(topic)}` }],
  };
}
