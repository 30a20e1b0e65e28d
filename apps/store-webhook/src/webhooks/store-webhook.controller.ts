import { Body, Controller, Headers, HttpCode, Inject, Post, Req } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiExtraModels,
  ApiHeader,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { isTransientDatabaseError } from '@otl/event-store';
import {
  CLOCK,
  ProblemException,
  SERVICE_CONFIG,
  badRequest,
  traceMetadata,
  type Clock,
} from '@otl/platform';
import type { StoreWebhookConfig } from '../config';
import { WebhookMetrics } from './webhook-metrics';
import { parseStoreWebhook } from './parse';
import { verify } from './signature';
import { StoreWebhookService, type DeliveryAnswer } from './store-webhook.service';
import {
  AcceptedPurchaseDto,
  IgnoredDeliveryDto,
  OrderCompletedDto,
  OrderRefundedDto,
  OTHER_DELIVERY_SCHEMA,
} from './store-webhook.dto';

/** Request headers worth keeping with the raw delivery (never credentials). */
const AUDITED_HEADERS = /^(webhook-|content-|user-agent$|x-forwarded-|x-request-id$|x-correlation-id$)/;

@ApiTags('store')
@ApiExtraModels(OrderCompletedDto, OrderRefundedDto, AcceptedPurchaseDto, IgnoredDeliveryDto)
@Controller('v1/webhooks/store')
export class StoreWebhookController {
  constructor(
    private readonly service: StoreWebhookService,
    private readonly metrics: WebhookMetrics,
    @Inject(SERVICE_CONFIG) private readonly config: StoreWebhookConfig,
    @Inject(CLOCK) private readonly now: Clock,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Receive a signed store event (Standard Webhooks)',
    description:
      'Answers 202 once the delivery is committed to the database; publication to Kafka follows asynchronously. ' +
      'A repeated webhook-id, or the same orderId under a new webhook-id, gets the same answer and records ' +
      'nothing new. Types other than order.completed and order.refunded are kept and acknowledged (202). ' +
      'A refund that arrives before its order is kept and applied when the order arrives.',
  })
  @ApiHeader({
    name: 'webhook-id',
    required: true,
    schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
    description:
      'Unique id of the message (printable ASCII, at most 255 characters); repeats are idempotent.',
  })
  @ApiHeader({
    name: 'webhook-timestamp',
    required: true,
    schema: { type: 'string', pattern: '^[0-9]{1,12}$' },
    description:
      'Unix seconds; refused when further from now than the tolerance (STORE_WEBHOOK_TOLERANCE_SECONDS, default 300).',
  })
  @ApiHeader({
    name: 'webhook-signature',
    required: true,
    schema: { type: 'string', pattern: '^v1,[A-Za-z0-9+/]{43}=( v1,[A-Za-z0-9+/]{43}=)*$' },
    description:
      'Space-separated `v1,<base64 HMAC-SHA256>` entries over "{id}.{timestamp}.{body}"; one valid entry suffices.',
  })
  @ApiBody({
    schema: {
      oneOf: [
        { $ref: getSchemaPath(OrderCompletedDto) },
        { $ref: getSchemaPath(OrderRefundedDto) },
        OTHER_DELIVERY_SCHEMA,
      ],
    },
    examples: {
      completed: {
        value: {
          type: 'order.completed',
          data: {
            orderId: 'ST-100234',
            completedAt: '2026-11-27T10:00:00Z',
            currency: 'USD',
            customer: { email: 'Ana.Lima@Example.com', name: 'Ana Lima', company: 'Example Ltd' },
            items: [{ sku: 'BARCODE-JS-DEVICE-1Y', quantity: 2, unitPrice: '1249.00' }],
            total: '2498.00',
          },
        },
      },
      refunded: {
        value: {
          type: 'order.refunded',
          data: { orderId: 'ST-100234', refundedAt: '2026-11-28T09:00:00Z', reason: 'customer request' },
        },
      },
    },
  })
  @ApiAcceptedResponse({
    description: 'Durably recorded (or an unhandled type, kept and ignored).',
    schema: {
      oneOf: [{ $ref: getSchemaPath(AcceptedPurchaseDto) }, { $ref: getSchemaPath(IgnoredDeliveryDto) }],
    },
  })
  @ApiBadRequestResponse({
    description: 'The body breaks the schema; `errors` names each field. Nothing is stored.',
  })
  @ApiUnauthorizedResponse({
    description:
      'Missing or wrong signature, or a timestamp outside the tolerance (default 5 minutes). Nothing is stored.',
  })
  @ApiPayloadTooLargeResponse({ description: 'Body over 256 KiB.' })
  @ApiServiceUnavailableResponse({
    description: 'Cannot record durably right now; retry after `retry-after` seconds.',
  })
  async receive(
    @Req() request: FastifyRequest,
    @Body() rawBody: Buffer | undefined,
    @Headers('webhook-id') webhookId: string | undefined,
    @Headers('webhook-timestamp') webhookTimestamp: string | undefined,
    @Headers('webhook-signature') webhookSignature: string | undefined,
  ): Promise<DeliveryAnswer> {
    const body = rawBody ?? Buffer.alloc(0); // a POST without a body has none
    const verification = verify(
      { id: webhookId, timestamp: webhookTimestamp, signature: webhookSignature, body },
      this.config.webhookKeys,
      this.now(),
      this.config.timestampToleranceSeconds,
    );
    if (!verification.ok) {
      this.metrics.rejected(verification.reason);
      throw new ProblemException(
        401,
        'invalid-signature',
        'Webhook signature not accepted',
        describe(verification.reason),
      );
    }
    if (verification.id.length > 255) {
      throw badRequest('Invalid header: webhook-id', [
        { field: 'webhook-id', message: 'must be at most 255 characters' },
      ]);
    }
    let payload;
    try {
      payload = parseStoreWebhook(body);
    } catch (error) {
      this.metrics.rejected('invalid-body');
      throw error;
    }
    try {
      const { answer, outcome } = await this.service.receive({
        webhookId: verification.id,
        webhookTimestamp: verification.timestamp,
        headers: Object.fromEntries(
          Object.entries(request.headers)
            .filter(([name, value]) => AUDITED_HEADERS.test(name) && typeof value === 'string')
            .map(([name, value]) => [name, value as string]),
        ),
        body: body.toString('utf8'),
        payload,
        correlationId: String(request.id),
        trace: traceMetadata(),
      });
      this.metrics.accepted(outcome);
      return answer;
    } catch (error) {
      // Counted here; the platform's problem filter answers it (503 with retry-after).
      if (isTransientDatabaseError(error)) this.metrics.rejected('storage-unavailable');
      throw error;
    }
  }
}

function describe(reason: string): string {
  switch (reason) {
    case 'missing-headers':
      return 'The webhook-id, webhook-timestamp and webhook-signature headers are required.';
    case 'malformed-timestamp':
      return 'webhook-timestamp must be Unix seconds.';
    case 'stale-timestamp':
    case 'future-timestamp':
      return 'webhook-timestamp is more than the allowed tolerance away from now.';
    default:
      return 'No webhook-signature entry matches the delivery.';
  }
}
