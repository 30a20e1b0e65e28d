import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { PurchaseAssignedV1, PurchaseRefundedV1 } from '@otl/contracts';
import type { InboxContext, InboxHandlerExtras, InboxHandlerResult } from '@otl/event-store';
import { PurchaseItems } from './purchase-items.service';

/**
 * `purchase.assigned.v1` (accounts.v1) records the items in the buyer's account;
 * `purchase.refunded.v1` (purchases.v1) refunds them and revokes their licences. The two topics
 * arrive in any order. Other types on those topics are recorded and skipped.
 */
@Controller()
export class PurchaseConsumer {
  constructor(@Inject(PurchaseItems) private readonly purchases: PurchaseItems) {}

  @EventPattern('purchase.assigned.v1', {
    locks: PurchaseItems.assignmentLocks,
  } satisfies InboxHandlerExtras<PurchaseAssignedV1>)
  onAssigned(
    @Payload() assigned: PurchaseAssignedV1,
    @Ctx() context: InboxContext,
  ): Promise<InboxHandlerResult> {
    return this.purchases.onAssigned(context.transaction, assigned);
  }

  @EventPattern('purchase.refunded.v1', {
    locks: PurchaseItems.refundLocks,
  } satisfies InboxHandlerExtras<PurchaseRefundedV1>)
  onRefunded(
    @Payload() refunded: PurchaseRefundedV1,
    @Ctx() context: InboxContext,
  ): Promise<InboxHandlerResult> {
    return this.purchases.onRefunded(context.transaction, refunded);
  }
}
