import { AsyncLocalStorage } from 'node:async_hooks';
import type { LoggerService } from '@nestjs/common';
import { isSpanContextValid, trace, type Context } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';

export type { Logger };

interface RequestContext {
  correlationId?: string;
  /** OpenTelemetry's active context (tracing.ts keeps it here, beside the correlation id). */
  trace?: Context;
}

const context = new AsyncLocalStorage<RequestContext>();

/** The correlation id of the request or record being handled, if any. */
export function currentCorrelationId(): string | undefined {
  return context.getStore()?.correlationId;
}

/** Enters a request's context for the rest of its handling (a Fastify hook has no callback to wrap). */
export function enterCorrelationId(correlationId: string, trace?: Context): void {
  context.enterWith(trace ? { correlationId, trace } : { correlationId });
}

/**
 * Runs `work` (and everything it starts) inside a correlation id (none: without one); the trace
 * context in force stays, and nothing leaves it as it was outside.
 */
export function withCorrelationId<T>(correlationId: string | undefined, work: () => T): T {
  const trace = context.getStore()?.trace;
  if (correlationId === undefined) return trace ? context.run({ trace }, work) : context.exit(work);
  return context.run(trace ? { correlationId, trace } : { correlationId }, work);
}

/**
 * Runs `work` outside any request or record: for work shared by several requests (a batch), which
 * must take neither the correlation id nor the trace of whichever request happened to start it.
 */
export function outsideRequestContext<T>(work: () => T): T {
  return context.exit(work);
}

/** The context in force (tracing.ts reads OpenTelemetry's active context from it). */
export function activeRequestContext(): Readonly<RequestContext> | undefined {
  return context.getStore();
}

/** Runs `work` inside the given context (tracing.ts enters OpenTelemetry contexts with it). */
export function runInRequestContext<T>(requestContext: RequestContext, work: () => T): T {
  return context.run(requestContext, work);
}

/** Structured JSON logs; every line carries the correlation id of the work in progress. */
export function createLogger(service: string, level: string): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => {
      const store = context.getStore();
      const fields: Record<string, string> = {};
      if (store?.correlationId) fields['correlationId'] = store.correlationId;
      // With tracing on, log lines name the trace and span they were written in.
      const span = store?.trace && trace.getSpan(store.trace)?.spanContext();
      if (span && isSpanContextValid(span)) {
        fields['traceId'] = span.traceId;
        fields['spanId'] = span.spanId;
      }
      return fields;
    },
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        'password',
        '*.password',
        'token',
        '*.token',
      ],
      censor: '[redacted]',
    },
  });
}

/** Routes Nest's own log lines through pino. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  private write(level: 'info' | 'warn' | 'error' | 'debug' | 'trace', message: unknown, rest: unknown[]) {
    const contextName =
      typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    this.logger[level](
      { context: contextName },
      typeof message === 'string' ? message : JSON.stringify(message),
    );
  }

  log(message: unknown, ...rest: unknown[]) {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.write('trace', message, rest);
  }
}
