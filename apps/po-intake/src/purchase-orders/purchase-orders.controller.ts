import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Authenticated, CurrentUser, type AccessTokenClaims } from '@otl/auth';
import {
  CLOCK,
  ProblemException,
  assertTotalOfLines,
  noBody,
  pricedPurchaseOf,
  type Clock,
} from '@otl/platform';
import { rethrowAsProblem } from '../errors';
import { attachmentDisposition, decodeDocument } from './domain/document';
import type { StaffMember } from './domain/purchase-order';
import {
  ListQueryDto,
  PurchaseOrderDto,
  PurchaseOrderPageDto,
  ReasonDto,
  ReceivedDto,
  SubmitPurchaseOrderDto,
} from './purchase-orders.dto';
import { PurchaseOrderQueries, withOverdue, type PurchaseOrderView } from './purchase-order-queries';
import { PurchaseOrdersService } from './purchase-orders.service';

const REP = 'sales-rep';
const MANAGER = 'sales-manager';

const IdParam = () => ApiParam({ name: 'id', format: 'uuid', description: 'The purchaseOrderId.' });

const uuid = new ParseUUIDPipe({
  exceptionFactory: () => new ProblemException(404, 'not-found', 'Not found', 'No such purchase order.'),
});

const staffMember = (user: AccessTokenClaims): StaffMember => ({ accountId: user.sub, email: user.email });

/** Approval carries no data: no body, or an empty JSON object (as many HTTP clients send). */
const withoutBody = noBody({ allowEmptyObject: true });

/** A body to paste: a one-page PDF (base64 of a minimal valid file), two lines, the total their sum. */
const SUBMIT_EXAMPLE = {
  poNumber: 'PO-2026-0042',
  customer: { email: 'ana.lima@example.com', name: 'Ana Lima', company: 'Example Ltd' },
  items: [
    { sku: 'BARCODE-JS-DEVICE-1Y', quantity: 2, unitPrice: '1249.00' },
    { sku: 'WEBTWAIN-PRO-DOMAIN-1Y', quantity: 1, unitPrice: '899.00' },
  ],
  currency: 'USD',
  total: '3397.00',
  document: {
    filename: 'PO-2026-0042.pdf',
    contentType: 'application/pdf',
    contentBase64: Buffer.from(
      '%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n' +
        'trailer <</Root 1 0 R>>\n%%EOF\n',
    ).toString('base64'),
  },
};

const FOUR_EYES =
  '403 `own-submission` when the caller submitted this order (four eyes), 403 `forbidden` without the ' +
  'sales-manager role.';

@ApiTags('purchase-orders')
@ApiExtraModels(PurchaseOrderDto)
@Controller('v1/purchase-orders')
export class PurchaseOrdersController {
  constructor(
    @Inject(PurchaseOrdersService) private readonly orders: PurchaseOrdersService,
    @Inject(PurchaseOrderQueries) private readonly queries: PurchaseOrderQueries,
    @Inject(CLOCK) private readonly now: Clock,
  ) {}

  @Post()
  @HttpCode(201)
  @Authenticated(REP, MANAGER)
  @ApiOperation({
    summary: 'Submit a purchase order received from a buyer (sales-rep or sales-manager)',
    description:
      'Stores the order and its document; status `received`, due by the end of the next business day. ' +
      'The same poNumber for the same customer (email, case-insensitive) is 409 `po-number-taken` naming the ' +
      'existing order, unless that order was rejected: a corrected order is then accepted (`resubmissionOf`). ' +
      'The request body may be up to 16 MiB (the document is base64).',
  })
  @ApiBody({
    type: SubmitPurchaseOrderDto,
    examples: { order: { summary: 'A PO with its PDF', value: SUBMIT_EXAMPLE } },
  })
  @ApiCreatedResponse({ type: ReceivedDto, description: 'Received; `Location` names the new order.' })
  @ApiConflictResponse({ description: '`po-number-taken`: `existingPurchaseOrderId` names the live order.' })
  @ApiPayloadTooLargeResponse({
    description: '`document-too-large`: over 10 MiB decoded (or a body over 16 MiB).',
  })
  @ApiUnsupportedMediaTypeResponse({
    description: "`document-type-mismatch`: the file's first bytes are not those of `contentType`.",
  })
  async submit(
    @CurrentUser() user: AccessTokenClaims,
    @Body() body: SubmitPurchaseOrderDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ReceivedDto> {
    assertTotalOfLines(body);
    try {
      const decoded = decodeDocument(body.document.contentBase64, body.document.contentType);
      const order = await this.orders.submit({
        poNumber: body.poNumber,
        ...pricedPurchaseOf(body),
        document: { filename: body.document.filename, contentType: body.document.contentType, decoded },
        submittedBy: staffMember(user),
      });
      void reply.header('location', `/v1/purchase-orders/${order.purchaseOrderId}`);
      return {
        purchaseOrderId: order.purchaseOrderId,
        status: 'received',
        receivedAt: order.receivedAt,
        dueBy: order.dueBy,
      };
    } catch (error) {
      rethrowAsProblem(error);
    }
  }

  @Get()
  @Authenticated(REP, MANAGER)
  @ApiOperation({
    summary: 'The queue: purchase orders by dueBy (soonest first), paged',
    description: 'Filter by `status` and `overdue`; follow `nextCursor` for the next page.',
  })
  @ApiOkResponse({ type: PurchaseOrderPageDto })
  list(@Query() query: ListQueryDto): Promise<PurchaseOrderPageDto> {
    return this.queries
      .list({
        status: query.status,
        overdue: query.overdue === undefined ? undefined : query.overdue === 'true',
        limit: query.limit === undefined ? 50 : Number(query.limit),
        cursor: query.cursor,
      })
      .catch(rethrowAsProblem);
  }

  @Get(':id')
  @Authenticated(REP, MANAGER)
  @IdParam()
  @ApiOperation({ summary: 'One purchase order with its history' })
  @ApiOkResponse({ type: PurchaseOrderDto })
  @ApiNotFoundResponse({ description: 'No such purchase order.' })
  get(@Param('id', uuid) id: string): Promise<PurchaseOrderView> {
    return this.queries.get(id).catch(rethrowAsProblem);
  }

  @Get(':id/document')
  @Authenticated(REP, MANAGER)
  @IdParam()
  @ApiOperation({
    summary: 'The document as received, byte for byte',
    description:
      'Served as an attachment with its declared type and `X-Content-Type-Options: nosniff`; `ETag` is its SHA-256.',
  })
  @ApiProduces('application/pdf', 'image/png', 'image/jpeg')
  @ApiOkResponse({
    description: 'The original bytes.',
    content: {
      'application/pdf': { schema: { type: 'string', format: 'binary' } },
      'image/png': { schema: { type: 'string', format: 'binary' } },
      'image/jpeg': { schema: { type: 'string', format: 'binary' } },
    },
  })
  @ApiNotFoundResponse({ description: 'No such purchase order.' })
  async document(@Param('id', uuid) id: string, @Res() reply: FastifyReply): Promise<void> {
    const document = await this.queries.document(id).catch(rethrowAsProblem);
    await reply
      .status(200)
      .header('content-type', document.contentType)
      .header('content-length', String(document.size))
      .header('content-disposition', attachmentDisposition(document.filename))
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('cache-control', 'private, no-store')
      .header('etag', `"${document.sha256}"`)
      .send(document.content);
  }

  @Post(':id/approval')
  @HttpCode(200)
  @Authenticated(MANAGER)
  @UseGuards(withoutBody)
  @IdParam()
  @ApiOperation({
    summary: 'Approve: record the purchase (sales-manager, not the submitter)',
    description:
      'Emits one `purchase.recorded.v1` (channel `purchase-order`, externalRef = poNumber, purchaseId = ' +
      'purchaseOrderId); the buyer gets an account (if new) and the items. Approving again is a no-op (200). ' +
      FOUR_EYES,
  })
  @ApiOkResponse({ type: PurchaseOrderDto })
  @ApiBadRequestResponse({ description: '`body-not-allowed`: a body other than {} was sent.' })
  @ApiForbiddenResponse({ description: FOUR_EYES })
  @ApiNotFoundResponse({ description: 'No such purchase order.' })
  @ApiConflictResponse({ description: '`already-decided`: the order was rejected.' })
  async approve(
    @CurrentUser() user: AccessTokenClaims,
    @Param('id', uuid) id: string,
  ): Promise<PurchaseOrderView> {
    return withOverdue(await this.orders.approve(id, staffMember(user)).catch(rethrowAsProblem), this.now());
  }

  @Post(':id/rejection')
  @HttpCode(200)
  @Authenticated(MANAGER)
  @IdParam()
  @ApiOperation({
    summary: 'Reject with a reason (sales-manager, not the submitter)',
    description:
      'The poNumber is then free for a corrected order. Rejecting again is a no-op (200); an approved order ' +
      'is 409. ' +
      FOUR_EYES,
  })
  @ApiBody({ type: ReasonDto, examples: { unsigned: { value: { reason: 'The PO is not signed.' } } } })
  @ApiOkResponse({ type: PurchaseOrderDto })
  @ApiForbiddenResponse({ description: FOUR_EYES })
  @ApiNotFoundResponse({ description: 'No such purchase order.' })
  @ApiConflictResponse({ description: '`already-decided`: the order was approved.' })
  async reject(
    @CurrentUser() user: AccessTokenClaims,
    @Param('id', uuid) id: string,
    @Body() body: ReasonDto,
  ): Promise<PurchaseOrderView> {
    return withOverdue(
      await this.orders.reject(id, staffMember(user), body.reason).catch(rethrowAsProblem),
      this.now(),
    );
  }

  @Post(':id/refund')
  @HttpCode(200)
  @Authenticated(MANAGER)
  @IdParam()
  @ApiOperation({
    summary: 'Refund an approved order (sales-manager)',
    description:
      'Emits `purchase.refunded.v1`; the licences generated from its items are revoked downstream. A second ' +
      'refund is a no-op (200); an order that is not approved is 409 `not-approved`.',
  })
  @ApiBody({
    type: ReasonDto,
    examples: { cancelled: { value: { reason: 'The buyer cancelled the order.' } } },
  })
  @ApiOkResponse({ type: PurchaseOrderDto })
  @ApiNotFoundResponse({ description: 'No such purchase order.' })
  @ApiConflictResponse({ description: '`not-approved`: only approved orders can be refunded.' })
  async refund(
    @CurrentUser() user: AccessTokenClaims,
    @Param('id', uuid) id: string,
    @Body() body: ReasonDto,
  ): Promise<PurchaseOrderView> {
    return withOverdue(
      await this.orders.refund(id, staffMember(user), body.reason).catch(rethrowAsProblem),
      this.now(),
    );
  }
}
