import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ProblemException, PROBLEM_CONTENT_TYPE } from '@otl/platform';
import type { PortalConfig } from '../config';
import type { WebFiles } from './web-files';

/**
 * No inline script or style, nothing from elsewhere, never framed. The app frames only its own
 * answers (the sales desk shows a purchase order's PDF in a sandboxed iframe).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "frame-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Swagger UI (the /docs page, for developers) needs inline styles; still no inline script. */
const DOCS_POLICY =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const NOT_THE_APP = /^\/(v1|assets|docs|docs-json|health|metrics)(\/|$|\?)/;

/**
 * The portal's edge, on every answer: strict security headers, and for unsafe methods the CSRF
 * check (the Origin header must be the portal's own; SameSite=Strict is the second lock).
 */
export function guardEdge(server: FastifyInstance, config: PortalConfig, files: () => WebFiles): void {
  server.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const docs = request.url.startsWith('/docs');
    void reply.headers({
      'content-security-policy': docs ? DOCS_POLICY : CONTENT_SECURITY_POLICY,
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
    });
    if (config.secureCookies)
      void reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    if (request.url.startsWith('/v1/')) void reply.header('cache-control', 'no-store');
    if (UNSAFE_METHODS.has(request.method)) {
      const origin = request.headers.origin;
      if (origin === undefined || !config.allowedOrigins.has(origin)) {
        const problem = new ProblemException(
          403,
          'origin-refused',
          'Request refused',
          'Unsafe requests must come from the portal itself (the Origin header did not match).',
        ).toProblem();
        return reply.status(403).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
      }
    }
  });
  // A person who opens an unknown address gets the app, which draws its not-found page (still a 404).
  server.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload) => {
    if (
      reply.statusCode !== 404 ||
      request.method !== 'GET' ||
      NOT_THE_APP.test(request.url) ||
      !String(reply.getHeader('content-type') ?? '').startsWith(PROBLEM_CONTENT_TYPE) ||
      !(request.headers.accept ?? '').includes('text/html')
    ) {
      return payload;
    }
    const index = files().index;
    void reply.header('content-type', index.type).header('cache-control', 'no-cache');
    return index.body;
  });
}
