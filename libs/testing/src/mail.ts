import { requireEnv } from './env';
import { eventually } from './wait';

/** A mail as MailDev's REST API returns it (the fields specs read). */
export interface CaughtMail {
  id: string;
  subject: string;
  text: string;
  /** Raw headers, lower-cased names (`message-id` among them). */
  headers: Record<string, string>;
  to: { address: string; name: string }[];
  date: string;
}

/** The SMTP catcher of the test run (MailDev), read over its REST API. */
export class MailCatcher {
  constructor(private readonly apiUrl = requireEnv('MAILDEV_API_URL')) {}

  /** Mails to `address` (as the sender wrote it), oldest first. */
  async mailsTo(address: string): Promise<CaughtMail[]> {
    const response = await fetch(
      `${this.apiUrl}/api/email?${new URLSearchParams({ 'to.address': address })}`,
    );
    if (!response.ok) throw new Error(`MailDev answered ${response.status}`);
    return (await response.json()) as CaughtMail[];
  }

  /** Waits until `address` has received `count` mails, and returns them. */
  waitFor(address: string, count = 1, timeoutMs = 15_000): Promise<CaughtMail[]> {
    return eventually(
      async () => {
        const mails = await this.mailsTo(address);
        return mails.length >= count ? mails : undefined;
      },
      { what: `${count} mail(s) to ${address}`, timeoutMs },
    );
  }
}

/** The link (with its token) in a mail's text, for `{PORTAL_URL}{path}?token=…`. */
export function mailedLink(mail: CaughtMail, path: string): { url: URL; token: string } {
  const found = mail.text
    .match(/https?:\/\/\S+/g)
    ?.map((text) => new URL(text))
    .find((url) => url.pathname.endsWith(path));
  const token = found?.searchParams.get('token');
  if (!found || !token) throw new Error(`no ${path} link in mail "${mail.subject}":\n${mail.text}`);
  return { url: found, token };
}
