import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { LicenseActivatedV1, LicenseGeneratedV1, LicenseRevokedV1 } from '@otl/contracts';
import type { InboxContext, InboxHandlerExtras, InboxHandlerResult } from '@otl/event-store';
import { TrackedLicenses } from './tracked-licenses';

/**
 * licenses.v1 into the tracking tables: generated (the key's hash), activated (mode and
 * entitlements), revoked (every lease ends at once). One licence's records apply in order, each in
 * its inbox transaction; other types on the topic are recorded and skipped.
 */
@Controller()
export class LicenseConsumer {
  constructor(@Inject(TrackedLicenses) private readonly licenses: TrackedLicenses) {}

  @EventPattern('license.generated.v1', {
    locks: TrackedLicenses.locks,
  } satisfies InboxHandlerExtras<LicenseGeneratedV1>)
  onGenerated(@Payload() generated: LicenseGeneratedV1): InboxHandlerResult {
    return this.licenses.onGenerated(generated);
  }

  @EventPattern('license.activated.v1', {
    locks: TrackedLicenses.locks,
  } satisfies InboxHandlerExtras<LicenseActivatedV1>)
  onActivated(@Payload() activated: LicenseActivatedV1): InboxHandlerResult {
    return this.licenses.onActivated(activated);
  }

  @EventPattern('license.revoked.v1', {
    locks: TrackedLicenses.locks,
  } satisfies InboxHandlerExtras<LicenseRevokedV1>)
  onRevoked(@Payload() revoked: LicenseRevokedV1, @Ctx() context: InboxContext): Promise<InboxHandlerResult> {
    return this.licenses.onRevoked(context.transaction, revoked);
  }
}
