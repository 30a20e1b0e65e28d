import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, fromStatus, type ProblemDetails } from './problem';

/** Longer request targets are refused with 414 before routing (RFC 9110 §15.5.15). */
export const MAX_URL_LENGTH = 8192;

/**
 * Fastify's `frameworkErrors`: errors its router raises before any route (and so before Nest's
 * filter) runs, answered as problem details instead of Fastify's own JSON.
 */
export function frameworkErrorAsProblem(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  let problem: ProblemDetails;
  switch (error.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      problem = fromStatus(414, 'A path parameter is longer than this service accepts.');
      break;
    case 'FST_ERR_BAD_URL':
      problem = fromStatus(400, 'The URL is not valid (bad percent-encoding).');
      break;
    default:
      problem = fromStatus(500, 'The request could not be routed.');
  }
  void reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
}

/** An onRequest hook: a URL over MAX_URL_LENGTH is a 414 problem. */
export async function refuseLongUrls(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.url.length <= MAX_URL_LENGTH) return;
  const problem = fromStatus(414, `The URL is longer than ${MAX_URL_LENGTH} characters.`);
  await reply.status(414).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
}
