import type { Span } from '@opentelemetry/api';
import {
  carrierOf,
  endSpan,
  ProblemException,
  SpanKind,
  startSpan,
  type ProblemDetails,
} from '@otl/platform';

export type UpstreamName = 'account' | 'license' | 'tracking' | 'po-intake';

/** An answer of account, license, tracking or po-intake, read in full. */
export interface UpstreamAnswer {
  status: number;
  headers: Headers;
  body: Buffer;
}

export interface UpstreamRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  accessToken?: string;
  body?: unknown;
  /** The browser's address, passed on as X-Forwarded-For (for the services' per-client limits). */
  clientIp?: string;
  correlationId?: string;
  /** The Accept header (default application/json; a document download takes any type). */
  accept?: string;
}

const RETRY_AFTER_SECONDS = 5;
const PROBLEM_TYPE = /^(application\/problem\+json|application\/json)\b/;

/** account, license or tracking did not answer (down, unreachable, too slow): a 503 to the browser. */
export class UpstreamUnavailable extends ProblemException {
  constructor(
    readonly upstream: UpstreamName,
    readonly reason: unknown,
    code = 'upstream-unavailable',
    detail = 'The portal cannot reach one of its services right now; try again in a few seconds.',
  ) {
    super(503, code, 'Service unavailable', detail, {
      headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
    });
  }
}

/** A problem answered by a service, passed to the browser as it came (its type, fields, detail). */
export class UpstreamProblem extends ProblemException {
  constructor(
    private readonly problem: ProblemDetails,
    headers: Record<string, string>,
  ) {
    super(problem.status, 'upstream', problem.title, problem.detail, { headers });
  }

  override toProblem(): ProblemDetails {
    return this.problem;
  }
}

/** Headers of a service's error answer worth passing on to the browser. */
const PASSED_ON = ['retry-after', 'allow'];

/** Calls one service with a deadline; never follows redirects, never retries by itself. */
export class Upstream {
  constructor(
    readonly name: UpstreamName,
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
  ) {}

  async call(request: UpstreamRequest): Promise<UpstreamAnswer> {
    const headers: Record<string, string> = { accept: request.accept ?? 'application/json' };
    if (request.accessToken) headers.authorization = `Bearer ${request.accessToken}`;
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    if (request.clientIp) headers['x-forwarded-for'] = request.clientIp;
    if (request.correlationId) headers['x-correlation-id'] = request.correlationId;
    // With tracing on, a CLIENT span for the call; the service's span continues it.
    const span = startSpan(`${request.method} ${this.name}`, {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': request.method,
        'server.address': this.baseUrl,
        'url.path': request.path,
      },
    });
    Object.assign(headers, span ? carrierOf(span.context) : {});
    try {
      return await this.send(request, headers, span?.span);
    } catch (error) {
      endSpan(span?.span, error);
      throw error;
    }
  }

  private async send(request: UpstreamRequest, headers: Record<string, string>, span: Span | undefined) {
    try {
      const response = await fetch(`${this.baseUrl}${request.path}`, {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const body = Buffer.from(await response.arrayBuffer());
      if (response.status >= 500) {
        throw new UpstreamUnavailable(this.name, new Error(`${this.name} answered ${response.status}`));
      }
      span?.setAttribute('http.response.status_code', response.status);
      endSpan(span);
      return { status: response.status, headers: response.headers, body };
    } catch (error) {
      if (error instanceof UpstreamUnavailable) throw error;
      throw new UpstreamUnavailable(this.name, error);
    }
  }
}

/** The JSON body of a 2xx answer; any other answer becomes the problem it carries. */
export function jsonOf<T>(answer: UpstreamAnswer): T {
  if (answer.status >= 200 && answer.status < 300) {
    return (answer.body.length === 0 ? undefined : JSON.parse(answer.body.toString('utf8'))) as T;
  }
  throw problemOf(answer);
}

/** The error answer of a service as a problem to pass on (a well-formed one as it is). */
export function problemOf(answer: UpstreamAnswer): ProblemException {
  const headers = Object.fromEntries(
    PASSED_ON.flatMap((name) => {
      const value = answer.headers.get(name);
      return value === null ? [] : [[name, value]];
    }),
  );
  const type = answer.headers.get('content-type') ?? '';
  if (PROBLEM_TYPE.test(type)) {
    try {
      const problem = JSON.parse(answer.body.toString('utf8')) as Partial<ProblemDetails>;
      if (
        typeof problem.type === 'string' &&
        typeof problem.title === 'string' &&
        typeof problem.detail === 'string' &&
        problem.status === answer.status
      ) {
        return new UpstreamProblem(problem as ProblemDetails, headers);
      }
    } catch {
      // Not JSON after all: described by its status below.
    }
  }
  return new ProblemException(
    answer.status,
    'upstream-error',
    'Request failed',
    `The request failed (${answer.status}).`,
    {
      headers,
    },
  );
}
