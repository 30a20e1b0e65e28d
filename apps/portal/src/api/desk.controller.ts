import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProblemException } from '@otl/platform';
import { CurrentSession, SignedIn } from '../sessions/session.guard';
import { SessionsService, type Session } from '../sessions/sessions.service';
import { isStaff } from '../sessions/token-roles';
import { jsonOf, problemOf, type UpstreamAnswer, type UpstreamRequest } from '../upstream/upstream';
import { DeskListQuery, DocumentQuery, PurchaseOrderDto, PurchaseOrderPageDto, ReasonBody } from './desk.dto';
import { CustomerGateway } from './gateway';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NOT_FOUND = '`not-found`: there is no such purchase order.';
const STAFF_ONLY =
  '`staff-only`: the signed-in account is not sales staff (answered by the portal, po-intake is not called); ' +
  "`forbidden` and po-intake's other 403 problems are passed on.";
const UNSAFE = ' `origin-refused`: the request does not come from the portal.';

/** Types a browser may show in the page; any other type is only ever offered as a download. */
const SHOWN_INLINE = new Set(['application/pdf', 'image/png', 'image/jpeg']);

/**
 * The answer to the document: no script, no plugin, nothing loaded from anywhere, unique origin
 * (`sandbox`); framed only by the portal's own pages (the PO page shows a PDF in an iframe).
 */
export const DOCUMENT_POLICY = "sandbox; default-src 'none'; img-src 'self'; frame-ancestors 'self'";

/** A purchase order id from the path; anything else names no purchase order (404). */
function purchaseOrderId(id: string): string {
  if (!UUID.test(id)) {
    throw new ProblemException(404, 'not-found', 'Not found', 'There is no such purchase order.');
  }
  return id.toLowerCase();
}

/** The Content-Disposition of the document: po-intake's file name, inline or attachment as chosen. */
export function documentDisposition(upstream: string | null, inline: boolean): string {
  const parameters = (upstream ?? '').replace(/^\s*(attachment|inline)\s*(;\s*)?/i, '').trim();
  const kind = inline ? 'inline' : 'attachment';
  return parameters ? `${kind}; ${parameters}` : kind;
}

/** The media type of a Content-Type header, lower case, without parameters. */
export function mediaType(contentType: string | null): string {
  return (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

const IdParam = () => ApiParam({ name: 'id', format: 'uuid', description: 'The purchase order id.' });

/**
 * The sales desk: po-intake's purchase orders for the signed-in staff member, with their access
 * token. po-intake decides who may do what (four eyes); the portal refuses only a customer, itself.
 */
@ApiTags('sales desk')
@Controller('v1/desk/purchase-orders')
@SignedIn()
@ApiForbiddenResponse({ description: STAFF_ONLY })
@ApiServiceUnavailableResponse({ description: 'po-intake cannot be reached; see retry-after.' })
export class DeskController {
  constructor(
    private readonly gateway: CustomerGateway,
    private readonly sessions: SessionsService,
  ) {}

  private async call(
    session: Session,
    request: FastifyRequest,
    call: Omit<UpstreamRequest, 'accessToken' | 'clientIp' | 'correlationId'>,
  ): Promise<UpstreamAnswer> {
    if (!isStaff(await this.sessions.roles(session))) {
      throw new ProblemException(
        403,
        'staff-only',
        'Forbidden',
        'The sales desk is for sales staff (sales-rep or sales-manager); this account is not.',
      );
    }
    return this.gateway.call(this.gateway.upstreams.poIntake, session, request, call);
  }

  @Get()
  @ApiOperation({
    summary: 'The queue: purchase orders sorted by dueBy, paged',
    description: 'Filter by `status` and `overdue=true`; follow `nextCursor` with `cursor`.',
  })
  @ApiOkResponse({ type: PurchaseOrderPageDto })
  @ApiBadRequestResponse({ description: 'A query parameter is not valid (`errors` names it).' })
  async list(
    @Query() query: DeskListQuery,
    @CurrentSession() session: Session,
    @Req() request: FastifyRequest,
  ): Promise<PurchaseOrderPageDto> {
    const search = new URLSearchParams();
    for (const name of ['status', 'overdue', 'limit', 'cursor'] as const) {
      const value = query[name];
      if (value !== undefined) search.set(name, value);
    }
    const path = `/v1/purchase-orders${search.size > 0 ? `?${search}` : ''}`;
    return jsonOf(await this.call(session, request, { method: 'GET', path }));
  }

  @Get(':id')
  @IdParam()
  @ApiOperation({ summary: 'A purchase order: its fields, items, document facts and history' })
  @ApiOkResponse({ type: PurchaseOrderDto })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  async detail(
    @Param('id') id: string,
    @CurrentSession() session: Session,
    @Req() request: FastifyRequest,
  ): Promise<PurchaseOrderDto> {
    const path = `/v1/purchase-orders/${purchaseOrderId(id)}`;
    return jsonOf(await this.call(session, request, { method: 'GET', path }));
  }

  @Get(':id/document')
  @IdParam()
  @ApiOperation({
    summary: 'The purchase order document, byte for byte',
    description:
      'With its declared type, `X-Content-Type-Options: nosniff`, `Cache-Control: private, no-store` and ' +
      `\`Content-Security-Policy: ${DOCUMENT_POLICY}\`. A PDF, PNG or JPEG is \`inline\` (the portal shows ` +
      'it: images in an img, a PDF in a sandboxed frame) unless `download=1`; anything else is always an ' +
      'attachment.',
  })
  @ApiProduces('application/pdf', 'image/png', 'image/jpeg', 'application/problem+json')
  @ApiOkResponse({ description: 'The document.', schema: { type: 'string', format: 'binary' } })
  @ApiBadRequestResponse({ description: '`download` is not `1`.' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  async document(
    @Param('id') id: string,
    @Query() query: DocumentQuery,
    @CurrentSession() session: Session,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const path = `/v1/purchase-orders/${purchaseOrderId(id)}/document`;
    const answer = await this.call(session, request, { method: 'GET', path, accept: '*/*' });
    if (answer.status !== 200) throw problemOf(answer);
    const type = mediaType(answer.headers.get('content-type'));
    const shown = SHOWN_INLINE.has(type);
    const etag = answer.headers.get('etag');
    if (etag) void reply.header('etag', etag);
    await reply
      .status(200)
      .header('content-type', shown ? type : 'application/octet-stream')
      .header(
        'content-disposition',
        documentDisposition(answer.headers.get('content-disposition'), shown && query.download !== '1'),
      )
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', DOCUMENT_POLICY)
      .header('x-frame-options', 'SAMEORIGIN')
      .header('cache-control', 'private, no-store')
      .send(answer.body);
  }

  @Post(':id/approval')
  @HttpCode(200)
  @IdParam()
  @ApiOperation({
    summary: 'Approve (sales-manager, never the one who submitted it)',
    description:
      'Records the purchase, so the buyer gets an account and licence items. Approving an approved ' +
      "purchase order again is a no-op. po-intake's 403 `own-submission` or `forbidden` is passed on.",
  })
  @ApiOkResponse({ type: PurchaseOrderDto })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @ApiConflictResponse({ description: '`already-decided`: it was rejected.' })
  @ApiForbiddenResponse({ description: STAFF_ONLY + UNSAFE })
  async approve(
    @Param('id') id: string,
    @CurrentSession() session: Session,
    @Req() request: FastifyRequest,
  ): Promise<PurchaseOrderDto> {
    const path = `/v1/purchase-orders/${purchaseOrderId(id)}/approval`;
    return jsonOf(await this.call(session, request, { method: 'POST', path, body: {} }));
  }

  @Post(':id/rejection')
  @HttpCode(200)
  @IdParam()
  @ApiOperation({
    summary: 'Reject with a reason (sales-manager, never the one who submitted it)',
    description: 'Rejecting a rejected purchase order again is a no-op; its number may be submitted again.',
  })
  @ApiOkResponse({ type: PurchaseOrderDto })
  @ApiBadRequestResponse({ description: '`reason` is missing, empty or over 1000 characters.' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @ApiConflictResponse({ description: '`already-decided`: it was approved (or refunded).' })
  @ApiForbiddenResponse({ description: STAFF_ONLY + UNSAFE })
  async reject(
    @Param('id') id: string,
    @Body() body: ReasonBody,
    @CurrentSession() session: Session,
    @Req() request: FastifyRequest,
  ): Promise<PurchaseOrderDto> {
    const path = `/v1/purchase-orders/${purchaseOrderId(id)}/rejection`;
    return jsonOf(await this.call(session, request, { method: 'POST', path, body: { reason: body.reason } }));
  }

  @Post(':id/refund')
  @HttpCode(200)
  @IdParam()
  @ApiOperation({
    summary: 'Refund an approved purchase order with a reason (sales-manager)',
    description: 'Its licences are revoked downstream. A second refund is a no-op.',
  })
  @ApiOkResponse({ type: PurchaseOrderDto })
  @ApiBadRequestResponse({ description: '`reason` is missing, empty or over 1000 characters.' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @ApiConflictResponse({ description: '`not-approved`: only an approved purchase order is refunded.' })
  @ApiForbiddenResponse({ description: STAFF_ONLY + UNSAFE })
  async refund(
    @Param('id') id: string,
    @Body() body: ReasonBody,
    @CurrentSession() session: Session,
    @Req() request: FastifyRequest,
  ): Promise<PurchaseOrderDto> {
    const path = `/v1/purchase-orders/${purchaseOrderId(id)}/refund`;
    return jsonOf(await this.call(session, request, { method: 'POST', path, body: { reason: body.reason } }));
  }
}
