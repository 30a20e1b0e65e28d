import type { Span } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';
import { endSpan, SpanKind, SpanStatusCode, startSpan, tracingEnabled } from './tracing';

/** Probes and scrapes come every few seconds and would drown the traces that matter. */
const UNTRACED = /^\/(health|metrics)(\/|$)/;

const spans = new WeakMap<FastifyRequest, Span>();

/**
 * A SERVER span for a request, child of the caller's `traceparent` when it sends one, named after the
 * route template (`POST /v1/webhooks/store`), never the raw URL. Undefined when tracing is off.
 */
export function startRequestSpan(request: FastifyRequest) {
  if (!tracingEnabled()) return undefined;
  const route = request.routeOptions.url;
  const path = request.url.split('?', 1)[0] ?? '/';
  if (UNTRACED.test(path)) return undefined;
  const started = startSpan(route ? `${request.method} ${route}` : request.method, {
    kind: SpanKind.SERVER,
    parent: request.headers,
    attributes: {
      'http.request.method': request.method,
      'url.path': path,
      ...(route ? { 'http.route': route } : {}),
      'url.scheme': request.protocol,
      'client.address': request.ip,
      'otl.correlation_id': request.id,
    },
  });
  if (started) spans.set(request, started.span);
  return started;
}

/** Ends the request's span with its status; a 5xx (or an aborted request) marks it failed. */
export function endRequestSpan(request: FastifyRequest, statusCode: number | undefined): void {
  const span = spans.get(request);
  if (!span) return;
  spans.delete(request);
  if (statusCode === undefined) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'request aborted by the client' });
  } else {
    span.setAttribute('http.response.status_code', statusCode);
    if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  }
  endSpan(span);
}
