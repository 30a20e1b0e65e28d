import { parseCloudEvent, topics, type PublicCloudEvent } from '@otl/contracts';
import type { InboxConsumerOptions } from '@otl/event-store';
import type { LicenseService } from '../licenses/license.service';
import { streams } from '../licenses/license.service';

/**
 * `purchase.assigned.v1` (accounts.v1) records the items in the buyer's account;
 * `purchase.refunded.v1` (purchases.v1) refunds them and revokes their licences. The two topics
 * arrive in any order: a refund that comes first is held on the purchase stream.
 */
export function purchaseConsumerOptions(
  licenses: LicenseService,
  name: string,
): Pick<
  InboxConsumerOptions<PublicCloudEvent>,
  'name' | 'topics' | 'parse' | 'identify' | 'streamsOf' | 'handle'
> {
  return {
    name,
    topics: [topics.accounts, topics.purchases],
    parse: (value) => parseCloudEvent(value),
    identify: (event) => ({ id: event.id, type: event.type }),
    streamsOf: (event) => {
      if (event.type === 'purchase.assigned.v1') return licenses.assignmentStreams(event.data);
      if (event.type === 'purchase.refunded.v1') return [streams.purchase(event.data.purchaseId)];
      return [];
    },
    handle: async (event, tx) => {
      if (event.type === 'purchase.assigned.v1') return licenses.onAssigned(tx, event.data);
      if (event.type === 'purchase.refunded.v1') return licenses.onRefunded(tx, event.data);
      return [];
    },
  };
}
