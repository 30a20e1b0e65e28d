import type { Statement } from '@otl/event-store';
import type { AccountEvent } from '../accounts/domain/account';
import { templateForToken, type MailParams, type MailTemplate } from './templates';

/** A mail decided in the same transaction as the event that calls for it. */
export interface OutboxMail {
  /** The id of that event: one mail per event, however often it is replayed. */
  id: string;
  template: MailTemplate;
  recipient: string;
  params: MailParams;
  /** The raw link token, kept only until the mail is handed to SMTP. */
  secret: string | null;
}

/**
 * The mails that appended events call for: every issued token is mailed to the address, and a
 * replaced password is announced to its owner.
 */
export function mailsFor(
  recipient: { email: string; name: string | null },
  events: readonly { eventId: string; event: AccountEvent }[],
  rawTokens: ReadonlyMap<string, string>,
): OutboxMail[] {
  const mails: OutboxMail[] = [];
  for (const { eventId, event } of events) {
    const base = { id: eventId, recipient: recipient.email, params: { name: recipient.name } };
    if (event.type === 'account.token-issued') {
      const secret = rawTokens.get(event.data.tokenHash);
      if (secret === undefined) throw new Error(`no raw token at hand for issued token ${eventId}`);
      mails.push({
        ...base,
        template: templateForToken[event.data.reason],
        params: { ...base.params, expiresAt: event.data.expiresAt },
        secret,
      });
    } else if (event.type === 'account.password-set' && event.data.replaced) {
      mails.push({ ...base, template: 'password-changed', secret: null });
    }
  }
  return mails;
}

/** Inserts the mails; a mail already queued for its event is left as it is. */
export function outboxInsert(mails: readonly OutboxMail[]): Statement | null {
  if (mails.length === 0) return null;
  return {
    text: `INSERT INTO account_mail_outbox (id, template, recipient, params, secret)
           SELECT (m->>'id')::uuid, m->>'template', m->>'recipient', m->'params', m->>'secret'
           FROM jsonb_array_elements($1::jsonb) AS m
           ON CONFLICT (id) DO NOTHING`,
    params: [JSON.stringify(mails)],
  };
}
