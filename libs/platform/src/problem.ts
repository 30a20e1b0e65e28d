import { randomUUID } from 'node:crypto';
import { Catch, HttpException, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { throwError, type Observable } from 'rxjs';
import type { Logger } from 'pino';
import type { RouteTable } from './routes';

export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details, as every service answers errors. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://docs.order-to-license.dev/problems/';

/** An error answer with a stable machine-readable type (the code). */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    readonly extras: { errors?: FieldError[]; headers?: Record<string, string>; [key: string]: unknown } = {},
  ) {
    super(detail, status);
  }

  toProblem(): ProblemDetails {
    const { headers: _headers, ...extensions } = this.extras;
    return {
      type: TYPE_BASE + this.code,
      title: this.title,
      status: this.getStatus(),
      detail: this.detail,
      ...extensions,
    };
  }
}

export const badRequest = (detail: string, errors: FieldError[] = []) =>
  new ProblemException(400, 'validation-failed', 'Request is not valid', detail, { errors });

const STANDARD_TITLES: Record<number, [code: string, title: string]> = {
  400: ['bad-request', 'Bad request'],
  401: ['unauthorized', 'Unauthorized'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  409: ['conflict', 'Conflict'],
  413: ['payload-too-large', 'Payload too large'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  429: ['too-many-requests', 'Too many requests'],
  503: ['service-unavailable', 'Service unavailable'],
};

export function fromStatus(status: number, detail: string): ProblemDetails {
  const [code, title] = STANDARD_TITLES[status] ?? ['error', HttpStatus[status] ?? 'Error'];
  return { type: TYPE_BASE + code, title, status, detail };
}

/** Errors thrown by Fastify itself before a handler runs (body parsing, size limits). */
function fromFastifyError(error: {
  code?: string;
  statusCode?: number;
  message: string;
  syscall?: string;
}): ProblemDetails | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return fromStatus(413, 'The request body is larger than this endpoint accepts.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return fromStatus(415, 'Send the body as application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        ...fromStatus(400, 'The request body is empty.'),
        errors: [{ field: '', message: 'body is required' }],
      };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return fromStatus(400, 'Content-Length does not match the body.');
    case 'ECONNRESET':
      // The client went away while its body was being read (Node's request stream: "aborted", no
      // syscall): nobody to answer, nothing went wrong here. A socket of the service's own reset under
      // a handler (PostgreSQL restarting: "read ECONNRESET", syscall "read") is no client error, and
      // must reach the unavailable check (503, retry) rather than tell the client its request was bad.
      if (error.syscall !== undefined) return undefined;
      return fromStatus(400, 'The connection closed before the body arrived.');
    default:
      if (error.statusCode === 400 && /JSON/i.test(error.message)) {
        return {
          ...fromStatus(400, 'The request body is not valid JSON.'),
          errors: [{ field: '', message: error.message }],
        };
      }
      return undefined;
  }
}

/**
 * The one place where errors become HTTP answers. Known errors keep their status;
 * anything else is a 500 with an error id that is logged with the stack, never sent.
 */
/** Errors that mean "try again shortly" (say, the database is unreachable): a 503, not a 500. */
export interface UnavailableErrors {
  when(error: unknown): boolean;
  retryAfterSeconds: number;
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(
    private readonly logger: Logger,
    private readonly unavailable?: UnavailableErrors,
    private readonly routes?: RouteTable,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void | Observable<never> {
    // Kafka handlers (the inbox transport) run in RPC context: the error goes back unchanged to the
    // inbox, whose retry logic tells a conflict or an outage from a poison record.
    if (host.getType() === 'rpc') return throwError(() => exception);
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    let problem: ProblemDetails;
    let headers: Record<string, string> = {};
    const request = host.switchToHttp().getRequest<FastifyRequest | undefined>();
    const routes = this.routes;
    const unrouted = routes !== undefined && request?.is404 === true;
    const allowed = routes && request?.is404 ? routes.allowedMethods(request.url) : [];
    if (request && allowed.length > 0 && !allowed.includes(request.method)) {
      // The router matched no route (request.is404), yet the path is known: a method it does not serve.
      problem = fromStatus(405, `This path serves ${allowed.join(', ')}.`);
      headers = { allow: allowed.join(', ') };
    } else if (request && unrouted) {
      // An unknown path is a 404 whatever else is wrong with the request (say, a missing content-type).
      problem = fromStatus(404, `Nothing is served at ${request.url.split('?')[0]}.`);
    } else if (exception instanceof ProblemException) {
      problem = exception.toProblem();
      headers = exception.extras.headers ?? {};
    } else if (exception instanceof HttpException) {
      const fastify = fromFastifyError(exception as unknown as { code?: string; message: string });
      problem = fastify ?? fromStatus(exception.getStatus(), exception.message);
    } else {
      const fastify =
        exception instanceof Error
          ? fromFastifyError(exception as Error & { code?: string; statusCode?: number; syscall?: string })
          : undefined;
      if (fastify) {
        problem = fastify;
      } else if (this.unavailable?.when(exception)) {
        this.logger.warn({ err: exception }, 'dependency unavailable; answered 503');
        problem = {
          ...fromStatus(503, 'The service cannot answer right now; try again shortly.'),
          type: TYPE_BASE + 'service-unavailable',
          title: 'Service unavailable',
        };
        headers = { 'retry-after': String(this.unavailable.retryAfterSeconds) };
      } else {
        const errorId = randomUUID();
        this.logger.error({ errorId, err: exception }, 'unhandled error');
        problem = {
          ...fromStatus(500, `An unexpected error occurred; quote error id ${errorId} when reporting it.`),
          type: TYPE_BASE + 'internal-error',
          title: 'Internal server error',
          errorId,
        };
      }
    }
    void reply
      .status(problem.status)
      .headers(headers)
      .header('content-type', PROBLEM_CONTENT_TYPE)
      .send(problem);
  }
}
