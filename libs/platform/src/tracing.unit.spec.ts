import { trace } from '@opentelemetry/api';
import { ConfigError } from './config';
import {
  carrierOf,
  contextFrom,
  startSpan,
  SpanKind,
  traceMetadata,
  tracesEndpoint,
  tracesUrl,
  tracingEnabled,
} from './tracing';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('tracesEndpoint', () => {
  it('is off with neither variable set, or set empty', () => {
    expect(tracesEndpoint({})).toBeUndefined();
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBeUndefined();
  });

  it('takes the traces endpoint over the general one', () => {
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(
      'http://collector:4318',
    );
    expect(
      tracesEndpoint({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/v1/traces',
      }),
    ).toBe('https://traces.example/v1/traces');
  });

  it.each(['collector:4318', 'grpc://collector:4317', 'not a url'])(
    'refuses %j, naming the variable',
    (value) => {
      expect(() => tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: value })).toThrow(ConfigError);
      expect(() => tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: value })).toThrow(
        /OTEL_EXPORTER_OTLP_ENDPOINT/,
      );
    },
  );
});

describe('tracesUrl', () => {
  it('appends /v1/traces to the general endpoint and takes the traces endpoint as it is', () => {
    expect(tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(
      'http://collector:4318/v1/traces',
    );
    expect(tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toBe(
      'http://collector:4318/v1/traces',
    );
    expect(tracesUrl({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/custom' })).toBe(
      'http://collector:4318/custom',
    );
    expect(tracesUrl({})).toBeUndefined();
  });
});

describe('trace context carriers', () => {
  it('reads a W3C traceparent from HTTP headers, event metadata or Kafka header bytes', () => {
    for (const carrier of [
      { traceparent: TRACEPARENT },
      { traceparent: Buffer.from(TRACEPARENT, 'latin1') },
      { traceparent: [TRACEPARENT] },
    ]) {
      const span = trace.getSpanContext(contextFrom(carrier));
      expect(span).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' });
    }
  });

  it('has no parent for a missing or malformed traceparent', () => {
    expect(trace.getSpanContext(contextFrom(undefined))).toBeUndefined();
    expect(trace.getSpanContext(contextFrom({ traceparent: '00-zz-00f067aa0ba902b7-01' }))).toBeUndefined();
    expect(trace.getSpanContext(contextFrom({ traceparent: 42 }))).toBeUndefined();
  });

  it('with tracing off, starts no span and gives events no trace metadata', () => {
    expect(tracingEnabled()).toBe(false);
    expect(
      startSpan('GET /', { kind: SpanKind.SERVER, parent: { traceparent: TRACEPARENT } }),
    ).toBeUndefined();
    expect(traceMetadata()).toEqual({});
    expect(carrierOf(contextFrom({ traceparent: TRACEPARENT }))).toEqual({});
  });
});
