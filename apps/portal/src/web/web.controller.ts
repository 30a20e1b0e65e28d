import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProblemException } from '@otl/platform';
import { WEB_FILES } from '../tokens';
import { encoded, type WebFile, type WebFiles } from './web-files';

/** The single-page app's own routes: each answers index.html, and the app draws the page. */
export const PAGE_ROUTES = [
  '/',
  '/sign-up',
  '/check-your-email',
  '/verify-email',
  '/sign-in',
  '/forgot-password',
  '/set-password',
  '/licenses',
  '/licenses/:id',
  '/desk',
  '/desk/purchase-orders/:id',
];

/** Sends a built file, compressed when the browser accepts it, revalidated by ETag. */
function sendWebFile(file: WebFile, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  void reply
    .header('content-type', file.type)
    .header('etag', file.etag)
    .header('vary', 'accept-encoding')
    .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  if (request.headers['if-none-match'] === file.etag) return reply.status(304).send();
  const { body, encoding } = encoded(file, request.headers['accept-encoding']);
  if (encoding) void reply.header('content-encoding', encoding);
  return reply.status(200).send(body);
}

@ApiExcludeController()
@Controller()
export class WebController {
  constructor(@Inject(WEB_FILES) private readonly files: WebFiles) {}

  @Get(PAGE_ROUTES)
  page(@Req() request: FastifyRequest, @Res() reply: FastifyReply): FastifyReply {
    return sendWebFile(this.files.index, request, reply);
  }

  @Get('assets/:name')
  asset(
    @Param('name') name: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): FastifyReply {
    const file = this.files.get(`/assets/${name}`);
    if (!file) throw new ProblemException(404, 'not-found', 'Not found', 'There is no such file.');
    return sendWebFile(file, request, reply);
  }
}
