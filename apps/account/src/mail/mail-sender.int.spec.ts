import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { createDataSource, migrate, poolOf } from '@otl/event-store';
import { createLogger } from '@otl/platform';
import {
  MailCatcher,
  createTestDatabase,
  eventually,
  freePort,
  requireEnv,
  type TestDatabase,
} from '@otl/testing';
import type { DataSource } from 'typeorm';
import { accountMigrations } from '../infrastructure/migrations';
import { MailSender, retryDelaySeconds } from './mail-sender';
import { outboxInsert, type OutboxMail } from './outbox';

describe('MailSender (real Postgres and SMTP catcher)', () => {
  const mail = new MailCatcher();
  let db: TestDatabase;
  let dataSource: DataSource;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase('account_mail');
    dataSource = createDataSource({ url: db.url, migrations: accountMigrations });
    await dataSource.initialize();
    await migrate(dataSource);
    pool = poolOf(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  const sender = (smtpUrl = requireEnv('SMTP_URL')) =>
    new MailSender({
      pool,
      smtpUrl,
      from: 'test@example.com',
      portalUrl: 'https://portal.test',
      logger: createLogger('mail-spec', 'silent'),
    });

  async function queue(mails: OutboxMail[]): Promise<void> {
    const statement = outboxInsert(mails);
    if (!statement) throw new Error('nothing to queue');
    await pool.query(statement.text, statement.params);
  }

  const resetMail = (recipient: string): OutboxMail => ({
    id: randomUUID(),
    template: 'password-reset',
    recipient,
    params: { name: 'Ana', expiresAt: '2026-11-27T11:00:00.000Z' },
    secret: 'tok-' + randomUUID(),
  });

  const row = async (id: string) =>
    (
      await pool.query<{
        attempts: number;
        sent_at: Date | null;
        secret: string | null;
        due_in: number;
        message_id: string | null;
      }>(
        `SELECT attempts, sent_at, secret, message_id, extract(epoch FROM next_attempt_at - now())::float8 AS due_in
           FROM account_mail_outbox WHERE id = $1`,
        [id],
      )
    ).rows[0];

  it('keeps a mail SMTP refused, retries it later, then sends it once and erases its token', async () => {
    const recipient = `retry.${randomUUID().slice(0, 8)}@example.com`;
    const queued = resetMail(recipient);
    await queue([queued]);
    await queue([{ ...queued, secret: 'a different token' }]); // the same event again: ignored

    const down = sender(`smtp://127.0.0.1:${await freePort()}`);
    expect(await down.drain()).toBe(0);
    await down.stop();
    const failed = await row(queued.id);
    expect(failed).toMatchObject({ attempts: 1, sent_at: null, secret: queued.secret });
    expect(failed!.due_in).toBeGreaterThan(retryDelaySeconds(1) - 2);

    // Not due yet: nothing is sent.
    const up = sender();
    expect(await up.drain()).toBe(0);
    await pool.query('UPDATE account_mail_outbox SET next_attempt_at = now() WHERE id = $1', [queued.id]);
    expect(await up.drain()).toBe(1);
    expect(await up.drain()).toBe(0);
    await up.stop();

    const [caught, ...more] = await mail.waitFor(recipient);
    expect(more).toHaveLength(0);
    expect(caught!.text).toContain(`https://portal.test/set-password?token=${queued.secret}`);
    expect(caught!.headers['message-id']).toBe(`<${queued.id}@account.order-to-license>`);
    expect(await row(queued.id)).toMatchObject({
      attempts: 2,
      secret: null,
      message_id: `<${queued.id}@account.order-to-license>`,
    });
  });

  it('sleeps while nothing is due, and wakes by itself when a retry falls due', async () => {
    const recipient = `due.${randomUUID().slice(0, 8)}@example.com`;
    const queued = resetMail(recipient);
    await queue([queued]);
    await pool.query(
      `UPDATE account_mail_outbox SET next_attempt_at = now() + interval '1.5 seconds' WHERE id = $1`,
      [queued.id],
    );
    // Its poll is ten minutes and nothing wakes it: only the due time can bring the mail out now.
    const relay = new MailSender({
      pool,
      smtpUrl: requireEnv('SMTP_URL'),
      from: 'test@example.com',
      portalUrl: 'https://portal.test',
      logger: createLogger('mail-spec', 'silent'),
      pollIntervalMs: 600_000,
    });
    relay.start();
    try {
      const [caught] = await mail.waitFor(recipient);
      expect(caught!.headers['message-id']).toBe(`<${queued.id}@account.order-to-license>`);
      // SMTP accepted it before the relay's commit marks it sent.
      await eventually(async () => ((await row(queued.id))?.sent_at ? true : undefined), {
        what: 'the mail to be marked sent',
      });
    } finally {
      await relay.stop();
    }
  });

  it('sends each mail once when two senders drain the outbox at the same time', async () => {
    const recipient = `race.${randomUUID().slice(0, 8)}@example.com`;
    await queue(Array.from({ length: 30 }, () => resetMail(recipient)));
    const [a, b] = [sender(), sender()];
    const [sentA, sentB] = await Promise.all([a.drain(), b.drain()]);
    await Promise.all([a.stop(), b.stop()]);
    expect(sentA + sentB).toBe(30);
    const caught = await mail.waitFor(recipient, 30);
    expect(new Set(caught.map((m) => m.headers['message-id'])).size).toBe(30);
  });

  it('backs off exponentially up to 15 minutes, and never gives up', () => {
    expect([1, 2, 3, 4, 10, 100].map(retryDelaySeconds)).toEqual([5, 10, 20, 40, 900, 900]);
  });
});
