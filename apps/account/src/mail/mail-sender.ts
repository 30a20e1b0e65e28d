import type { Pool } from 'pg';
import { createTransport, type Transporter } from 'nodemailer';
import type { Logger } from '@otl/platform';
import { linkFor, renderMail, type MailParams, type MailTemplate } from './templates';

export interface MailSenderOptions {
  pool: Pool;
  smtpUrl: string;
  from: string;
  portalUrl: string;
  logger: Logger;
  /**
   * The longest the sender sleeps when nothing wakes it (a commit here, or another process's
   * NOTIFY) and no retry falls due sooner; it then looks for mail another instance left. Default 30 s.
   */
  pollIntervalMs?: number;
  batchSize?: number;
  onSent?(template: MailTemplate): void;
  onFailed?(template: MailTemplate): void;
}

interface OutboxRow {
  id: string;
  template: MailTemplate;
  recipient: string;
  params: MailParams;
  secret: string | null;
  attempts: number;
}

/** Backoff after the n-th failed attempt: 5 s, 10 s, 20 s ... capped at 15 minutes. Never given up. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(5 * 2 ** Math.max(0, attempts - 1), 900);
}

/**
 * Relays the mail outbox to SMTP. Each mail is sent while its row is locked (FOR UPDATE SKIP
 * LOCKED), so two instances never send one mail; its row is marked sent, and its link token
 * erased, in the same transaction. Delivery is at least once: a crash between the SMTP server's
 * acceptance and that commit sends the mail again, with the same Message-ID.
 */
export class MailSender {
  private readonly transport: Transporter;
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(private readonly options: MailSenderOptions) {
    // Pooled connections: many mails per SMTP session instead of one connection each.
    this.transport = createTransport({ url: options.smtpUrl, pool: true, maxConnections: 4 });
  }

  start(): void {
    this.stopped = false;
    this.pass();
  }

  /**
   * Look for due mail soon (after a transaction queued some). Wakes within 20 ms are coalesced,
   * so a burst of commits costs one outbox query, not one each.
   */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      this.pass();
    }, 20);
  }

  private pass(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const poll = this.options.pollIntervalMs ?? 30_000;
    this.running = this.drain()
      .then(() => this.untilNextDue(poll))
      .catch((error: unknown) => {
        this.options.logger.warn({ err: error }, 'mail outbox pass failed');
        return Math.min(poll, 1000);
      })
      .then((sleepMs) => {
        this.running = undefined;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.wake();
        } else {
          this.timer = setTimeout(() => this.pass(), sleepMs);
        }
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.soon);
    await this.running;
    this.transport.close();
  }

  /** Milliseconds until the next unsent mail falls due (a retry after backoff), at most `poll`. */
  private async untilNextDue(poll: number): Promise<number> {
    const { rows } = await this.options.pool.query<{ ms: number | null }>(
      `SELECT extract(epoch FROM min(next_attempt_at) - now())::float8 * 1000 AS ms
         FROM account_mail_outbox WHERE sent_at IS NULL`,
    );
    const ms = rows[0]?.ms;
    return ms === null || ms === undefined ? poll : Math.min(poll, Math.max(20, Math.ceil(ms)));
  }

  /** Sends due mail until none is left; returns how many were handed to SMTP. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const { sent, claimed } = await this.sendBatch();
      total += sent;
      if (claimed < (this.options.batchSize ?? 20) || this.stopped) return total;
    }
  }

  private async sendBatch(): Promise<{ sent: number; claimed: number }> {
    const client = await this.options.pool.connect();
    let sent: number;
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<OutboxRow>(
        `SELECT id, template, recipient, params, secret, attempts FROM account_mail_outbox
          WHERE sent_at IS NULL AND next_attempt_at <= now()
          ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.options.batchSize ?? 20],
      );
      const outcomes = await Promise.all(
        rows.map(async (row) => {
          const messageId = `<${row.id}@account.order-to-license>`;
          try {
            await this.send(row, messageId);
            this.options.onSent?.(row.template);
            return { row, messageId, error: undefined };
          } catch (error) {
            this.options.logger.warn(
              { mailId: row.id, template: row.template, attempts: row.attempts + 1, err: error },
              'sending mail failed; will retry',
            );
            this.options.onFailed?.(row.template);
            return { row, messageId, error: error instanceof Error ? error.message : String(error) };
          }
        }),
      );
      const delivered = outcomes.filter((outcome) => outcome.error === undefined);
      sent = delivered.length;
      if (delivered.length > 0) {
        await client.query(
          `UPDATE account_mail_outbox o SET sent_at = now(), secret = NULL, attempts = o.attempts + 1,
                  message_id = d.message_id, last_error = NULL
             FROM unnest($1::uuid[], $2::text[]) AS d(id, message_id) WHERE o.id = d.id`,
          [delivered.map((outcome) => outcome.row.id), delivered.map((outcome) => outcome.messageId)],
        );
      }
      for (const { row, error } of outcomes) {
        if (error === undefined) continue;
        await client.query(
          `UPDATE account_mail_outbox SET attempts = attempts + 1, last_error = $2,
                  next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1`,
          [row.id, error.slice(0, 2000), retryDelaySeconds(row.attempts + 1)],
        );
      }
      await client.query('COMMIT');
      return { sent, claimed: rows.length };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async send(row: OutboxRow, messageId: string): Promise<void> {
    const { portalUrl, from } = this.options;
    const link = linkFor(row.template, portalUrl, row.secret);
    const mail = renderMail(row.template, row.params, link, portalUrl);
    await this.transport.sendMail({
      from,
      to: row.recipient,
      subject: mail.subject,
      text: mail.text,
      messageId,
    });
  }

  /** Mails waiting to be sent, and the age of the oldest (for metrics and alerts). */
  async backlog(): Promise<{ pending: number; oldestSeconds: number }> {
    const { rows } = await this.options.pool.query<{ pending: number; oldest: number | null }>(
      `SELECT count(*)::int AS pending, extract(epoch FROM now() - min(created_at))::float8 AS oldest
         FROM account_mail_outbox WHERE sent_at IS NULL`,
    );
    return { pending: rows[0]?.pending ?? 0, oldestSeconds: rows[0]?.oldest ?? 0 };
  }
}
