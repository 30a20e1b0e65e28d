import { randomUUID } from 'node:crypto';
import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { frameworkErrorAsProblem, refuseLongUrls } from './framework-errors';
import { enterCorrelationId, PinoNestLogger } from './logging';
import { instrumentHttp } from './metrics';
import { completeOpenApi } from './openapi';
import { ProblemDetailsFilter, type UnavailableErrors } from './problem';
import { RouteTable } from './routes';
import { strictValidationPipe } from './validation';

export interface ServiceAppOptions {
  module: Type<unknown> | DynamicModule;
  logger: Logger;
  metrics: Registry;
  bodyLimitBytes: number;
  /** Hand JSON bodies to the handler as raw bytes (for signature checks before parsing). */
  jsonBodyAsBuffer?: boolean;
  openApi: { title: string; description: string; version: string; tags?: string[] };
  /** Errors answered 503 with retry-after instead of 500 (e.g. a database outage). */
  unavailable?: UnavailableErrors;
  /** Take the client address from X-Forwarded-For (only behind a proxy that sets it). */
  trustProxy?: boolean;
  /** Adjusts the generated document (e.g. to add schemas the decorators cannot express). */
  decorateOpenApi?(document: OpenAPIObject): OpenAPIObject;
}

export const CORRELATION_HEADER = 'x-correlation-id';

/** A NestJS app on Fastify with the platform's conventions: problem+json, strict bodies, metrics, OpenAPI at /docs. */
export async function createServiceApp(options: ServiceAppOptions): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimitBytes,
    logger: false,
    return503OnClosing: true,
    trustProxy: options.trustProxy ?? false,
    requestIdHeader: CORRELATION_HEADER,
    genReqId: () => randomUUID(),
    frameworkErrors: frameworkErrorAsProblem,
  });
  const routes = RouteTable.watch(adapter.getInstance());
  if (options.jsonBodyAsBuffer) {
    const fastify = adapter.getInstance();
    // JSON only, as raw bytes: any other media type (text/plain included) is a 415.
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) =>
      done(null, body),
    );
  }
  const app = await NestFactory.create<NestFastifyApplication>(options.module, adapter, {
    bodyParser: !options.jsonBodyAsBuffer,
    bufferLogs: true,
    logger: new PinoNestLogger(options.logger),
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request, reply) => {
    enterCorrelationId(request.id);
    void reply.header(CORRELATION_HEADER, request.id);
  });
  fastify.addHook('onRequest', refuseLongUrls);
  instrumentHttp(fastify, options.metrics);
  app.useGlobalFilters(new ProblemDetailsFilter(options.logger, options.unavailable, routes));
  app.useGlobalPipes(strictValidationPipe());
  app.enableShutdownHooks();

  const builder = new DocumentBuilder()
    .setTitle(options.openApi.title)
    .setDescription(options.openApi.description)
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
