import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ProblemException, assertTotalOfLines, pricedPurchaseOf } from '@otl/platform';
import { inFlight, notFound, otherBody, rethrowAsProblem } from '../errors';
import { CurrentReseller, RATE_LIMIT_HEADERS, ResellerApi } from '../keys/api-key.guard';
import type { AuthenticatedReseller } from '../keys/key-store';
import { IDEMPOTENCY_KEY_PATTERN, fingerprintOf } from '../requests/idempotency';
import { ListQueryDto, OrderDto, OrderPageDto, OrderPlacedDto, PlaceOrderDto, RefundDto } from './orders.dto';
import { OrderQueries, type OrderPage, type OrderView } from './order-queries';
import { OrdersService } from './orders.service';

const PLACE = 'POST /v1/reseller/orders';

const uuid = new ParseUUIDPipe({ exceptionFactory: () => notFound() });

const OrderIdParam = () =>
  ApiParam({ name: 'orderId', format: 'uuid', description: 'The orderId you were given.' });

/** A body to paste: two lines, the total their sum. */
export const PLACE_EXAMPLE = {
  resellerOrderRef: 'ACME-2026-000123',
  customer: { email: 'ana.lima@example.com', name: 'Ana Lima', company: 'Example Ltd' },
  items: [
    { sku: 'BARCODE-JS-DEVICE-1Y', quantity: 2, unitPrice: '1249.00' },
    { sku: 'WEBTWAIN-PRO-DOMAIN-1Y', quantity: 1, unitPrice: '899.00' },
  ],
  currency: 'USD',
  total: '3397.00',
};

const idempotencyKeyRequired = (present: boolean) =>
  new ProblemException(
    400,
    'idempotency-key-required',
    'Idempotency-Key required',
    present
      ? 'The Idempotency-Key header must be 1–255 visible ASCII characters (a UUID is a good choice).'
      : 'Send an Idempotency-Key header (a new UUID per order, the same one on every retry of that order).',
    {
      errors: [
        {
          field: 'Idempotency-Key',
          message: present ? 'must be 1–255 visible ASCII characters' : 'is required',
        },
      ],
    },
  );

@ApiTags('reseller orders')
@ApiExtraModels(OrderDto)
@ResellerApi()
@Controller('v1/reseller/orders')
export class OrdersController {
  constructor(
    @Inject(OrdersService) private readonly orders: OrdersService,
    @Inject(OrderQueries) private readonly queries: OrderQueries,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Place an order for one of your customers',
    description:
      'Records the purchase (`purchase.recorded.v1`, channel `reseller`): the customer gets an account from ' +
      'the email (if new) and the items in it. Send a new `Idempotency-Key` per order and the same key on every ' +
      'retry: the same key with the same body replays the first answer (with `Idempotent-Replayed: true`), ' +
      'whatever happened to the first request; keys are kept at least 24 hours.',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: true,
    description: 'A unique key per order (e.g. a UUID), reused on retries. 1–255 visible ASCII characters.',
    schema: {
      type: 'string',
      minLength: 1,
      maxLength: 255,
      pattern: IDEMPOTENCY_KEY_PATTERN.source,
      example: '5f0c7d0e-8a55-4a8e-9a59-8d9d2f1f6b21',
    },
  })
  @ApiBody({
    type: PlaceOrderDto,
    examples: { order: { summary: 'Two lines for one customer', value: PLACE_EXAMPLE } },
  })
  @ApiCreatedResponse({
    type: OrderPlacedDto,
    description:
      'Recorded; `Location` names the order. A replay answers the same, with `Idempotent-Replayed: true`.',
    headers: {
      Location: { description: 'The order.', schema: { type: 'string' } },
      'Idempotent-Replayed': {
        description: '`true` when this is the stored answer of an earlier request.',
        schema: { type: 'string', enum: ['true'] },
      },
      ...RATE_LIMIT_HEADERS,
    },
  })
  @ApiConflictResponse({
    description:
      '`idempotency-key-in-flight`: a request with this key is still running (retry after `retry-after`); ' +
      '`reseller-order-ref-taken`: another of your orders has this resellerOrderRef (`existingOrderId`, `Location`).',
  })
  @ApiUnprocessableEntityResponse({
    description: '`idempotency-key-reused`: this key was used with another body.',
  })
  async place(
    @CurrentReseller() reseller: AuthenticatedReseller,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Body() body: PlaceOrderDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown>> {
    if (idempotencyKey === undefined || idempotencyKey === '') throw idempotencyKeyRequired(false);
    if (!IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) throw idempotencyKeyRequired(true);
    assertTotalOfLines(body);
    const order = {
      resellerOrderRef: body.resellerOrderRef,
      ...pricedPurchaseOf(body),
    };
    const outcome = await this.orders
      .place(reseller, idempotencyKey, fingerprintOf(PLACE, order), order)
      .catch(rethrowAsProblem);
    if (outcome.kind === 'in-flight') throw inFlight();
    if (outcome.kind === 'other-body') throw otherBody();
    const { answer, replayed } = outcome;
    void reply.status(answer.status);
    if (answer.status >= 400) void reply.type('application/problem+json');
    if (answer.location) void reply.header('location', answer.location);
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return answer.body;
  }

  @Get()
  @ApiOperation({
    summary: 'Your orders, newest first, paged',
    description:
      'Follow `nextCursor` for older orders; orders placed meanwhile never shift the pages still to come.',
  })
  @ApiOkResponse({ type: OrderPageDto, headers: RATE_LIMIT_HEADERS })
  list(@CurrentReseller() reseller: AuthenticatedReseller, @Query() query: ListQueryDto): Promise<OrderPage> {
    return this.queries.list(
      reseller.resellerId,
      query.limit === undefined ? 25 : Number(query.limit),
      query.cursor,
    );
  }

  @Get(':orderId')
  @OrderIdParam()
  @ApiOperation({ summary: 'One of your orders, with its status' })
  @ApiOkResponse({ type: OrderDto, headers: RATE_LIMIT_HEADERS })
  @ApiNotFoundResponse({ description: 'No such order among yours.' })
  async get(
    @CurrentReseller() reseller: AuthenticatedReseller,
    @Param('orderId', uuid) orderId: string,
  ): Promise<OrderView> {
    const order = await this.queries.get(reseller.resellerId, orderId);
    if (!order) throw notFound();
    return order;
  }

  @Post(':orderId/refund')
  @HttpCode(200)
  @OrderIdParam()
  @ApiOperation({
    summary: 'Refund one of your orders',
    description:
      'Emits `purchase.refunded.v1`; the items leave the customer account and their licences are revoked. ' +
      'Refunding a refunded order changes nothing and answers the same (200): a retry needs no Idempotency-Key.',
  })
  @ApiBody({
    type: RefundDto,
    examples: { cancelled: { value: { reason: 'The end customer cancelled the order.' } } },
  })
  @ApiOkResponse({ type: OrderDto, headers: RATE_LIMIT_HEADERS })
  @ApiNotFoundResponse({ description: 'No such order among yours.' })
  async refund(
    @CurrentReseller() reseller: AuthenticatedReseller,
    @Param('orderId', uuid) orderId: string,
    @Body() body: RefundDto,
  ): Promise<OrderView> {
    const purchaseId = await this.queries.purchaseIdOf(reseller.resellerId, orderId);
    if (!purchaseId) throw notFound();
    return this.orders.refund(reseller.resellerId, purchaseId, body.reason).catch(rethrowAsProblem);
  }
}
