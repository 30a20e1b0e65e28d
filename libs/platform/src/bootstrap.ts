import { randomUUID } from 'node:crypto';
import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { answerClientError } from './client-errors';
import { frameworkErrorAsProblem, refuseLongUrls } from './framework-errors';
import { DEFAULT_JSON_LIMITS, parseJsonBody, type JsonLimits } from './json-body';
import { enterCorrelationId, PinoNestLogger } from './logging';
import { instrumentHttp } from './metrics';
import { endRequestSpan, startRequestSpan } from './request-spans';
import { completeOpenApi } from './openapi';
import { ProblemDetailsFilter, ProblemException, type UnavailableErrors } from './problem';
import { RouteTable } from './routes';
import { strictValidationPipe } from './validation';

export interface ServiceAppOptions {
  module: Type<unknown> | DynamicModule;
  logger: Logger;
  metrics: Registry;
  bodyLimitBytes: number;
  /**
   * Hand JSON bodies to the handler as raw bytes (for signature checks before parsing); the handler
   * then parses them with `parseJsonBody` under the same limits (`jsonLimits`).
   */
  jsonBodyAsBuffer?: boolean;
  /** Limits of the one JSON parser (defaults: `DEFAULT_JSON_LIMITS`). */
  jsonLimits?: Partial<JsonLimits>;
  openApi: { title: string; description: string; version: string; tags?: string[] };
  /** Errors answered 503 with retry-after instead of 500 (e.g. a database outage). */
  unavailable?: UnavailableErrors;
  /** Take the client address from X-Forwarded-For (only behind a proxy that sets it). */
  trustProxy?: boolean;
  /** Adjusts the generated document (e.g. to add schemas the decorators cannot express). */
  decorateOpenApi?(document: OpenAPIObject): OpenAPIObject;
  /** Adds to the Fastify server before any route exists, after the platform's own hooks (say, more hooks). */
  configureServer?(server: FastifyInstance): void;
}

export const CORRELATION_HEADER = 'x-correlation-id';

/** A NestJS app on Fastify with the platform's conventions: problem+json, strict bodies, metrics, OpenAPI at /docs. */
export async function createServiceApp(options: ServiceAppOptions): Promise<NestFastifyApplication> {
  const limits = jsonLimitsOf(options);
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimitBytes,
    logger: false,
    return503OnClosing: true,
    trustProxy: options.trustProxy ?? false,
    requestIdHeader: CORRELATION_HEADER,
    genReqId: () => randomUUID(),
    frameworkErrors: frameworkErrorAsProblem,
    // Requests Node's HTTP parser refuses (431, 414, 400) get problem details too.
    clientErrorHandler: answerClientError,
  });
  const routes = RouteTable.watch(adapter.getInstance());
  // One body parser for every service: JSON only (any other media type is a 415), UTF-8 only,
  // parsed under the limits. Nest's own parsers (JSON and urlencoded) are not registered.
  const server = adapter.getInstance();
  server.removeAllContentTypeParsers();
  server.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1];
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      done(
        new ProblemException(415, 'unsupported-media-type', 'Unsupported media type', 'Send JSON as UTF-8.'),
      );
      return;
    }
    const raw = body as Buffer;
    if (options.jsonBodyAsBuffer) {
      done(null, raw);
      return;
    }
    try {
      done(null, parseJsonBody(raw, limits));
    } catch (error) {
      done(error as Error);
    }
  });
  const app = await NestFactory.create<NestFastifyApplication>(options.module, adapter, {
    bodyParser: false,
    bufferLogs: true,
    logger: new PinoNestLogger(options.logger),
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request, reply) => {
    enterCorrelationId(request.id, startRequestSpan(request)?.context);
    void reply.header(CORRELATION_HEADER, request.id);
  });
  fastify.addHook('onResponse', async (request, reply) => endRequestSpan(request, reply.statusCode));
  fastify.addHook('onRequestAbort', async (request) => endRequestSpan(request, undefined));
  fastify.addHook('onRequest', refuseLongUrls);
  instrumentHttp(fastify, options.metrics);
  options.configureServer?.(fastify);
  app.useGlobalFilters(new ProblemDetailsFilter(options.logger, options.unavailable, routes));
  app.useGlobalPipes(strictValidationPipe());
  app.enableShutdownHooks();

  const builder = new DocumentBuilder()
    .setTitle(options.openApi.title)
    .setDescription(`${options.openApi.description}\n\n${describeBodyLimits(options.bodyLimitBytes, limits)}`)
    .setVersion(options.openApi.version)
    .addBearerAuth();
  for (const tag of options.openApi.tags ?? []) builder.addTag(tag);
  let document = completeOpenApi(SwaggerModule.createDocument(app, builder.build()), {
    unavailable: options.unavailable !== undefined,
  });
  if (options.decorateOpenApi) document = options.decorateOpenApi(document);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}

/** The edge's rules for request bodies, as each OpenAPI document states them. */
function describeBodyLimits(bodyLimitBytes: number, limits: JsonLimits): string {
  return (
    `Request bodies are application/json in UTF-8 (another media type or charset is a 415), at most ` +
    `${Math.round(bodyLimitBytes / 1024)} KiB (else 413). A 400 problem names the limit a body breaks ` +
    `(\`limit.name\`): nesting depth ${limits.maxDepth} (maxDepth), ${limits.maxKeys} keys per object ` +
    `(maxKeys), ${limits.maxElements} elements per array (maxElements), ${limits.maxStringLength} characters ` +
    `per string (maxStringLength), ${limits.maxValues} values per body (maxValues). Duplicate keys, ` +
    `\`__proto__\`/\`constructor\`/\`prototype\` keys, U+0000, lone surrogates, invalid UTF-8, non-finite numbers and ` +
    `integers beyond 2^53 - 1 are 400s too.`
  );
}

/** The limits a service's JSON bodies are parsed under. */
export function jsonLimitsOf(options: Pick<ServiceAppOptions, 'jsonLimits'>): JsonLimits {
  return { ...DEFAULT_JSON_LIMITS, ...options.jsonLimits };
}

/** Listens and logs where; returns the bound address. */
export async function listen(
  app: INestApplication,
  port: number,
  host: string,
  logger: Logger,
): Promise<string> {
  await app.listen(port, host);
  const url = await app.getUrl();
  logger.info({ url, docs: `${url}/docs` }, 'listening');
  return url;
}
