import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { PurchaseRecordedV1 } from '@otl/contracts';
import type { InboxContext, InboxHandlerExtras, InboxHandlerResult } from '@otl/event-store';
import { AccountService } from '../accounts/account.service';
import { streams } from '../accounts/email';

/**
 * `purchase.recorded.v1` → the buyer's account (found or created by address) and
 * `purchase.assigned.v1`, once per purchase: the inbox and the assignment commit together. Other
 * types on `purchases.v1` (refunds are the license service's concern) are recorded and skipped.
 */
@Controller()
export class PurchaseConsumer {
  constructor(@Inject(AccountService) private readonly accounts: AccountService) {}

  // The address's claim stream is locked first: two purchases by one new buyer make one account.
  @EventPattern('purchase.recorded.v1', {
    locks: (purchase) => [streams.emailClaim(purchase.customer.email)],
  } satisfies InboxHandlerExtras<PurchaseRecordedV1>)
  onRecorded(
    @Payload() purchase: PurchaseRecordedV1,
    @Ctx() context: InboxContext,
  ): Promise<InboxHandlerResult> {
    return this.accounts.assignPurchase(context.transaction, purchase);
  }
}
