import { Parser, type AsyncAPIDocumentInterface, type MessageInterface } from '@asyncapi/parser';
import { publicEventTypes, topicOf, type PublicEventType } from '@otl/contracts';
import { repoRoot } from '@otl/testing';
import type { StoredEvent } from './event-store';
import type { KafkaRecord } from './forwarder';
import { publicEventRouter } from './public-events';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The AsyncAPI document (libs/contracts/asyncapi.yaml) against the records the platform really
 * writes: each message's example data is stored as an event and routed by the forwarder's
 * `publicEventRouter`, and the resulting Kafka record (topic, key, value, headers) must match the
 * message the document describes for it (libs/contracts may not import the event store, so this
 * half of the document's checks lives here; the rest is libs/contracts/asyncapi/asyncapi.deploy.spec.ts).
 */
const file = join(repoRoot, 'libs/contracts/asyncapi.yaml');

function compile(schema: unknown): ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true, allowUnionTypes: true });
  addFormats(ajv);
  return ajv.compile(schema as object);
}

describe('libs/contracts/asyncapi.yaml describes the records publicEventRouter writes', () => {
  let document: AsyncAPIDocumentInterface;
  const route = publicEventRouter('/store-webhook');

  beforeAll(async () => {
    const parsed = await new Parser().parse(readFileSync(file, 'utf8'));
    if (!parsed.document) throw new Error('libs/contracts/asyncapi.yaml does not parse');
    document = parsed.document;
  });

  const messageOf = (type: PublicEventType): MessageInterface => {
    const message = document
      .messages()
      .all()
      .find((candidate) => candidate.id() === type);
    if (!message) throw new Error(`no message ${type}`);
    return message;
  };

  const trace = {
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    tracestate: 'vendor=opaque',
  };

  function recordOf(type: PublicEventType, correlationId?: string, traced = false): KafkaRecord {
    const example = messageOf(type).examples().all()[0]?.payload() as { subject: string; data: unknown };
    const stored: StoredEvent = {
      globalPosition: '1',
      transactionId: '1',
      streamId: `stream-${example.subject}`,
      streamPosition: 1,
      eventId: '3f0b7c2a-1d4e-4f8a-9b6c-5e2d1a0f9c8b',
      type,
      schemaVersion: 1,
      data: example.data,
      metadata: {
        subject: example.subject,
        ...(correlationId ? { correlationId } : {}),
        ...(traced ? trace : {}),
      },
      recordedAt: new Date('2026-11-27T10:00:01.123Z'),
    };
    const record = route(stored);
    if (!record) throw new Error(`${type} was not routed to Kafka`);
    return record;
  }

  it.each(publicEventTypes.map((type) => [type]))('%s: topic, key, value and headers', (type) => {
    const message = messageOf(type);
    for (const [correlationId, traced] of [
      ['req-7f3a', true],
      [undefined, false],
    ] as const) {
      const record = recordOf(type, correlationId, traced);
      const channels = document
        .channels()
        .all()
        .filter((channel) =>
          channel
            .messages()
            .all()
            .some((candidate) => candidate.id() === type),
        )
        .map((channel) => channel.address());
      expect(channels).toEqual([record.topic]);
      expect(record.topic).toBe(topicOf[type]);

      const key = compile((message.bindings().get('kafka')?.value() as { key: unknown }).key);
      const payload = compile(message.payload()?.json());
      const headers = compile(message.headers()?.json());
      const value: unknown = JSON.parse(record.value);
      const headerValues = Object.fromEntries(
        Object.entries(record.headers ?? {}).map(([name, header]) => [name, String(header)]),
      );
      expect({
        key: key(record.key),
        value: payload(value),
        headers: headers(headerValues),
        errors: [payload.errors, headers.errors],
      }).toEqual({ key: true, value: true, headers: true, errors: [null, null] });
      expect(record.key).toBe((value as { subject: string }).subject);
      if (correlationId) expect(headerValues['correlation-id']).toBe(correlationId);
      if (traced) expect(headerValues).toMatchObject(trace);
    }
  });
});
