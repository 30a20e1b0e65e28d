import {
  context as otelContext,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type ContextManager,
  type Span,
  isSpanContextValid,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { ConfigError } from './config';
import { activeRequestContext, runInRequestContext } from './logging';

/**
 * OpenTelemetry traces across the platform: a span for every HTTP request, the trace context kept in
 * the metadata of the events a request (or a consumed record) appends, carried to Kafka as the W3C
 * `traceparent` record header, and continued by the consumer, whose own events carry it on.
 *
 * Off unless OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set: then nothing
 * is registered, every helper here returns at once, and no event gets trace metadata. On, spans go
 * to that collector over OTLP/HTTP (JSON) in batches; the OTEL_* variables of the specification
 * (OTEL_SERVICE_NAME, OTEL_BSP_SCHEDULE_DELAY, OTEL_EXPORTER_OTLP_HEADERS, …) apply.
 */

/** The W3C Trace Context headers, as HTTP headers, event metadata and Kafka record headers name them. */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

const propagator = new W3CTraceContextPropagator();
const TRACER = '@otl/platform';
let provider: { shutdown(): Promise<void>; forceFlush(): Promise<void> } | undefined;

/** Whether spans are being recorded and exported (OTEL_EXPORTER_OTLP_ENDPOINT set at start-up). */
export function tracingEnabled(): boolean {
  return provider !== undefined;
}

/**
 * The collector traces go to, or undefined when tracing is off. Throws ConfigError naming the
 * variable when one is set to anything but an http(s) URL.
 */
export function tracesEndpoint(env: Record<string, string | undefined> = process.env): string | undefined {
  const problems: string[] = [];
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT']) {
    const value = env[name];
    if (!value) continue;
    let protocol: string | undefined;
    try {
      protocol = new URL(value).protocol;
    } catch {
      protocol = undefined;
    }
    if (protocol !== 'http:' && protocol !== 'https:')
      problems.push(`${name} must be an http(s) URL of an OTLP/HTTP collector, got ${JSON.stringify(value)}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_ENDPOINT'] || undefined;
}

/**
 * Starts exporting traces when a collector is configured; returns whether it did. The SDK is loaded
 * only then, so a service without a collector pays nothing for it.
 */
export function startTracing(
  serviceName: string,
  env: Record<string, string | undefined> = process.env,
): boolean {
  if (provider) return true;
  const url = tracesUrl(env);
  if (!url) return false;
  // Loaded lazily on purpose: a service with tracing off never loads the SDK.
  const { NodeTracerProvider, BatchSpanProcessor } =
    require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { OTLPTraceExporter } =
    require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { resourceFromAttributes } =
    require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const tracerProvider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': env['OTEL_SERVICE_NAME'] || serviceName,
      'service.namespace': 'order-to-license',
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))],
  });
  tracerProvider.register({ contextManager: new RequestContextManager(), propagator });
  provider = tracerProvider;
  return true;
}

/**
 * Where spans are posted: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, or OTEL_EXPORTER_OTLP_ENDPOINT
 * with `/v1/traces` appended, as the OTLP exporter specification says.
 */
export function tracesUrl(env: Record<string, string | undefined> = process.env): string | undefined {
  const endpoint = tracesEndpoint(env);
  if (!endpoint || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) return endpoint;
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/** Exports what is buffered and stops; call on shutdown (the services do, after the HTTP server closed). */
export async function stopTracing(): Promise<void> {
  const stopping = provider;
  provider = undefined;
  await stopping?.shutdown();
}

/**
 * OpenTelemetry's active context lives in the same AsyncLocalStorage as the correlation id
 * (logging.ts), so a Fastify hook can enter both for the rest of a request.
 */
class RequestContextManager implements ContextManager {
  active(): Context {
    return activeRequestContext()?.trace ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return runInRequestContext({ ...activeRequestContext(), trace: context }, () => fn.apply(thisArg, args));
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const run = target as unknown as (...args: unknown[]) => unknown;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const manager = this;
    return function bound(this: unknown, ...args: unknown[]) {
      return manager.with(context, () => run.apply(this, args));
    } as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    return this;
  }
}

/** The context a carrier (HTTP headers, event metadata, Kafka headers) names as parent. */
export function contextFrom(carrier: Record<string, unknown> | undefined): Context {
  if (!carrier) return ROOT_CONTEXT;
  const headers: Record<string, string> = {};
  for (const name of ['traceparent', 'tracestate'] as const) {
    const value = carrier[name];
    if (typeof value === 'string') headers[name] = value;
    else if (Buffer.isBuffer(value)) headers[name] = value.toString('latin1');
    else if (Array.isArray(value) && typeof value[0] === 'string') headers[name] = value[0];
  }
  return propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
}

/** The W3C headers of a context's span; empty when tracing is off or no span is recording. */
export function carrierOf(context: Context): TraceCarrier {
  if (!provider) return {};
  const span = trace.getSpan(context);
  // An unsampled span is passed on too (flags 00), so the services after it do not sample either.
  if (!span || !isSpanContextValid(span.spanContext())) return {};
  const carrier: Record<string, string> = {};
  propagator.inject(context, carrier, defaultTextMapSetter);
  return carrier;
}

/**
 * The trace metadata for an event appended now: the active span's traceparent (and tracestate).
 * Empty when tracing is off, so events then carry nothing extra.
 */
export function traceMetadata(): TraceCarrier {
  return provider ? carrierOf(otelContext.active()) : {};
}

export interface SpanOptions {
  kind: SpanKind;
  /** Where the parent comes from: a carrier, or the active context when absent. */
  parent?: Record<string, unknown>;
  attributes?: Attributes;
}

/** Starts a span (undefined when tracing is off) and the context it is active in. */
export function startSpan(name: string, options: SpanOptions): { span: Span; context: Context } | undefined {
  if (!provider) return undefined;
  const parent = options.parent ? contextFrom(options.parent) : otelContext.active();
  const span = trace
    .getTracer(TRACER)
    .startSpan(name, { kind: options.kind, attributes: options.attributes }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** Runs `work` with the span's context active (just `work` when there is no span). */
export function withSpanContext<T>(started: { context: Context } | undefined, work: () => T): T {
  return started ? otelContext.with(started.context, work) : work();
}

/** Ends a span, marking it failed when an error is given. */
export function endSpan(span: Span | undefined, error?: unknown): void {
  if (!span) return;
  if (error !== undefined) {
    span.recordException(error instanceof Error ? error : new Error(String(error)));
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : undefined,
    });
  }
  span.end();
}

export { SpanKind, SpanStatusCode };
