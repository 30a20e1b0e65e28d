import { parseCloudEvent, topics, type PublicCloudEvent } from '@otl/contracts';
import { KAFKA_CORRELATION_HEADER, type InboxConsumerOptions } from '@otl/event-store';
import type { AccountService } from '../accounts/account.service';

/**
 * `purchase.recorded.v1` → the buyer's account (found or created by address) and
 * `purchase.assigned.v1`, once per purchase: the inbox and the assignment commit together.
 * Refunds are the license service's concern; they pass through the inbox and change nothing here.
 */
export function purchaseConsumerOptions(
  accounts: AccountService,
  name: string,
): Pick<
  InboxConsumerOptions<PublicCloudEvent>,
  'name' | 'topics' | 'parse' | 'identify' | 'streamsOf' | 'handle'
> {
  return {
    name,
    topics: [topics.purchases],
    parse: (value) => parseCloudEvent(value),
    identify: (event) => ({ id: event.id, type: event.type }),
    streamsOf: (event) => (event.type === 'purchase.recorded.v1' ? accounts.purchaseStreams(event.data) : []),
    handle: async (event, tx, message) => {
      if (event.type !== 'purchase.recorded.v1') return [];
      const correlationId = message.headers[KAFKA_CORRELATION_HEADER]?.toString();
      return accounts.assignPurchase(tx, event.data, correlationId);
    },
  };
}
