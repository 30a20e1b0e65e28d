import type {
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from './problem';

export const PROBLEM_SCHEMA = 'ProblemDetails';
/** No JSON body may hold U+0000 (the platform's parser refuses it: Postgres cannot store it). */
export const NO_NUL_PATTERN = '^[^\\u0000]*$';

const PROBLEM: SchemaObject = {
  type: 'object',
  description: 'RFC 9457 problem details; `type` is a stable URI naming the problem.',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      description: 'One entry per invalid field (400).',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

/** What the platform itself answers, whatever the handler: each status with why. */
const GENERIC = {
  400: 'The request is not valid: a field is missing, malformed or unknown; `errors` names each. Nothing is stored.',
  401: 'No valid access token.',
  404: 'No such resource, or not the caller’s.',
  413: 'The request body is larger than this endpoint accepts.',
  414: 'A path parameter or the URL is too long.',
  415: 'The body is not application/json.',
  503: 'A dependency (the database) is unreachable; retry after `retry-after` seconds.',
} as const;

export interface OpenApiCompletion {
  /** The service answers 503 when its database is down (ServiceAppOptions.unavailable is set). */
  unavailable: boolean;
}

type Operation = OperationObject & { security?: unknown[] };

const isReference = (value: unknown): value is ReferenceObject =>
  typeof value === 'object' && value !== null && '$ref' in value;

/**
 * Makes the document list every status the platform can answer for each operation, so a client
 * generated from it (or a fuzzer reading it) meets no undocumented answer: 400 where there is input,
 * 413 and 415 where there is a body, 401 where a token is required, 404 and 414 where there are path
 * parameters, 503 under /v1 when the database can be down. Every 4xx/5xx answer without a body of its
 * own gets the problem schema, and request bodies are closed (`additionalProperties: false`) as the strict validation is;
 * their free strings say they hold no U+0000, which the JSON parser refuses in any string.
 */
export function completeOpenApi(document: OpenAPIObject, options: OpenApiCompletion): OpenAPIObject {
  document.components ??= {};
  document.components.schemas ??= {};
  document.components.schemas[PROBLEM_SCHEMA] = PROBLEM;
  const closed = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const) {
      const operation = item[method] as Operation | undefined;
      if (!operation) continue;
      const parameters = (operation.parameters ?? []).filter(
        (parameter): parameter is ParameterObject => !isReference(parameter),
      );
      const inPath = parameters.some((parameter) => parameter.in === 'path');
      const hasInput = parameters.length > 0 || operation.requestBody !== undefined;
      const add = (status: keyof typeof GENERIC) => {
        operation.responses[status] ??= { description: GENERIC[status] };
      };
      if (hasInput) add(400);
      if (operation.requestBody) {
        add(413);
        add(415);
        closeRequestSchemas(document, operation, closed);
      }
      if ((operation.security ?? []).length > 0) add(401);
      if (inPath) {
        add(404);
        add(414);
      }
      if (options.unavailable && path.startsWith('/v1/')) add(503);
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400 && response && !isReference(response) && !response.content)
          withProblemBody(response);
      }
    }
  }
  return document;
}

function withProblemBody(response: ResponseObject): void {
  response.content = {
    [PROBLEM_CONTENT_TYPE]: { schema: { $ref: `#/components/schemas/${PROBLEM_SCHEMA}` } },
  };
}

/** The strict validation pipe rejects unknown fields: say so in every schema a request body uses. */
function closeRequestSchemas(document: OpenAPIObject, operation: Operation, closed: Set<string>): void {
  const body = operation.requestBody;
  if (!body || isReference(body)) return;
  for (const media of Object.values(body.content ?? {})) {
    if (media.schema) close(document, media.schema, closed);
  }
}

function close(document: OpenAPIObject, schema: SchemaObject | ReferenceObject, closed: Set<string>): void {
  if (isReference(schema)) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    if (closed.has(name)) return;
    closed.add(name);
    const target = document.components?.schemas?.[name];
    if (target) close(document, target, closed);
    return;
  }
  for (const variant of [...(schema.oneOf ?? []), ...(schema.anyOf ?? []), ...(schema.allOf ?? [])]) {
    close(document, variant, closed);
  }
  if (schema.items) close(document, schema.items, closed);
  if (schema.type === 'string' && schema.pattern === undefined && schema.enum === undefined && !schema.format)
    schema.pattern = NO_NUL_PATTERN;
  if (schema.type === 'object' || schema.properties) {
    schema.additionalProperties ??= false;
    for (const property of Object.values(schema.properties ?? {})) close(document, property, closed);
  }
}

/** An OpenAPI link: the answer `status` of operation `from` supplies what operation `to` needs. */
export interface OperationLink {
  from: string;
  status: number;
  to: string;
  /** Runtime expressions by parameter name, e.g. `{ id: '$response.body#/licenseId' }`. */
  parameters?: Record<string, string>;
  /** A body whose strings may be runtime expressions. */
  requestBody?: unknown;
  description: string;
}

/**
 * Adds links (by operationId) so that clients and stateful fuzzers can walk from one answer to the
 * next call. An unknown operation or status is an error at start-up, not a silently dead link.
 */
export function addLinks(document: OpenAPIObject, links: OperationLink[]): OpenAPIObject {
  const operations = new Map<string, Operation>();
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as unknown[]) {
      const candidate = operation as Operation | undefined;
      if (candidate && typeof candidate === 'object' && typeof candidate.operationId === 'string')
        operations.set(candidate.operationId, candidate);
    }
  }
  for (const link of links) {
    const response = operations.get(link.from)?.responses[String(link.status)];
    if (!response || isReference(response) || !operations.has(link.to))
      throw new Error(`OpenAPI link ${link.from} ${link.status} -> ${link.to}: no such operation or answer`);
    response.links ??= {};
    response.links[link.to] = {
      operationId: link.to,
      description: link.description,
      ...(link.parameters ? { parameters: link.parameters } : {}),
      ...(link.requestBody !== undefined ? { requestBody: link.requestBody } : {}),
    };
  }
  return document;
}
