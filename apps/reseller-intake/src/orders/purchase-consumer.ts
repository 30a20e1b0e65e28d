import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { PurchaseAssignedV1 } from '@otl/contracts';
import type { InboxContext, InboxHandlerExtras, InboxHandlerResult } from '@otl/event-store';
import { OrdersService } from './orders.service';

/** `purchase.assigned.v1` (accounts.v1) of a reseller purchase: the order becomes `assigned`. */
@Controller()
export class AssignmentConsumer {
  constructor(@Inject(OrdersService) private readonly orders: OrdersService) {}

  @EventPattern('purchase.assigned.v1', {
    locks: OrdersService.assignmentLocks,
  } satisfies InboxHandlerExtras<PurchaseAssignedV1>)
  onAssigned(
    @Payload() assigned: PurchaseAssignedV1,
    @Ctx() context: InboxContext,
  ): Promise<InboxHandlerResult> {
    return this.orders.onAssigned(context.transaction, assigned);
  }
}
