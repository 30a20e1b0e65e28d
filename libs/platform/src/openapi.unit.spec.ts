import type { OpenAPIObject } from '@nestjs/swagger';
import { addLinks, completeOpenApi, NO_NUL_PATTERN, PROBLEM_SCHEMA } from './openapi';

const PROBLEM_REF = {
  'application/problem+json': { schema: { $ref: `#/components/schemas/${PROBLEM_SCHEMA}` } },
};

function document(): OpenAPIObject {
  return {
    openapi: '3.0.0',
    info: { title: 't', version: '1' },
    paths: {
      '/v1/things': {
        post: {
          operationId: 'create',
          requestBody: {
            content: { 'application/json': { schema: { $ref: '#/components/schemas/ThingDto' } } },
          },
          responses: { '201': { description: 'made' }, '409': { description: 'exists' } },
        },
        get: { operationId: 'list', security: [{ bearer: [] }], responses: { '200': { description: 'ok' } } },
      },
      '/v1/things/{id}': {
        get: {
          operationId: 'get',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'ok' } },
        },
      },
      '/health/live': { get: { operationId: 'live', responses: { '200': { description: 'up' } } } },
      '/health/ready': {
        get: {
          operationId: 'ready',
          responses: {
            '503': { description: 'down', content: { 'application/json': { schema: { type: 'object' } } } },
          },
        },
      },
    },
    components: {
      schemas: {
        ThingDto: {
          type: 'object',
          properties: { parts: { type: 'array', items: { $ref: '#/components/schemas/PartDto' } } },
        },
        PartDto: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            code: { type: 'string', pattern: '^[A-Z]+$' },
            kind: { type: 'string', enum: ['a', 'b'] },
            at: { type: 'string', format: 'date-time' },
          },
        },
      },
    },
  };
}

describe('completeOpenApi', () => {
  const completed = completeOpenApi(document(), { unavailable: true });
  const responses = (path: string, method: 'get' | 'post') =>
    completed.paths[path]![method]!.responses as Record<string, { content?: unknown }>;

  it('adds the statuses the platform answers for each kind of operation', () => {
    expect(Object.keys(responses('/v1/things', 'post')).sort()).toEqual([
      '201',
      '400',
      '409',
      '413',
      '415',
      '503',
    ]);
    expect(Object.keys(responses('/v1/things', 'get')).sort()).toEqual(['200', '401', '503']);
    expect(Object.keys(responses('/v1/things/{id}', 'get')).sort()).toEqual([
      '200',
      '400',
      '404',
      '414',
      '503',
    ]);
    expect(Object.keys(responses('/health/live', 'get'))).toEqual(['200']);
  });

  it('gives every error answer, documented by hand or not, the problem schema', () => {
    expect(responses('/v1/things', 'post')['409']!.content).toEqual(PROBLEM_REF);
    expect(responses('/v1/things', 'post')['400']!.content).toEqual(PROBLEM_REF);
    expect(responses('/v1/things', 'post')['201']!.content).toBeUndefined();
    expect(completed.components!.schemas![PROBLEM_SCHEMA]).toMatchObject({
      required: ['type', 'title', 'status', 'detail'],
    });
  });

  it('keeps the body an error answer documents for itself', () => {
    expect(completed.paths['/health/ready']!.get!.responses['503']).toEqual({
      description: 'down',
      content: { 'application/json': { schema: { type: 'object' } } },
    });
  });

  it('closes every schema a request body uses, nested ones too', () => {
    expect(completed.components!.schemas!.ThingDto).toMatchObject({ additionalProperties: false });
    expect(completed.components!.schemas!.PartDto).toMatchObject({ additionalProperties: false });
  });

  it("says a request body's free strings hold no U+0000, and leaves strings with a rule of their own alone", () => {
    expect(completed.components!.schemas!.PartDto!).toMatchObject({
      properties: {
        name: { type: 'string', pattern: NO_NUL_PATTERN },
        code: { pattern: '^[A-Z]+$' },
        kind: { enum: ['a', 'b'] },
        at: { format: 'date-time' },
      },
    });
    const { kind, at } = (completed.components!.schemas!.PartDto as { properties: Record<string, object> })
      .properties as Record<string, { pattern?: string }>;
    expect([kind?.pattern, at?.pattern]).toEqual([undefined, undefined]);
  });

  it('adds no 503 when the service does not map outages to it', () => {
    const plain = completeOpenApi(document(), { unavailable: false });
    expect(plain.paths['/v1/things']!.get!.responses['503']).toBeUndefined();
  });
});

describe('addLinks', () => {
  it('links an answer to the operation it feeds', () => {
    const linked = addLinks(document(), [
      {
        from: 'create',
        status: 201,
        to: 'get',
        parameters: { id: '$response.body#/id' },
        description: 'the new thing',
      },
    ]);
    expect((linked.paths['/v1/things']!.post!.responses['201'] as { links: unknown }).links).toEqual({
      get: { operationId: 'get', parameters: { id: '$response.body#/id' }, description: 'the new thing' },
    });
  });

  it('refuses a link to an operation or from an answer that does not exist', () => {
    expect(() =>
      addLinks(document(), [{ from: 'create', status: 200, to: 'get', description: 'x' }]),
    ).toThrow(/create 200 -> get/);
    expect(() =>
      addLinks(document(), [{ from: 'create', status: 201, to: 'gone', description: 'x' }]),
    ).toThrow();
  });
});
