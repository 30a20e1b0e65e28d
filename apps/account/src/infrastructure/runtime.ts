import { topics, type PublicCloudEvent } from '@otl/contracts';
import { BackgroundConsumer, ServiceStore } from '@otl/event-store';
import type { Logger, ReadinessCheck } from '@otl/platform';
import { Counter, Gauge, type Registry } from 'prom-client';
import { AccountService } from '../accounts/account.service';
import { CredentialsService } from '../auth/credentials.service';
import type { AccountConfig } from '../config';
import { MailSender } from '../mail/mail-sender';
import { purchaseConsumerOptions } from '../purchases/purchase-consumer';
import { PasswordHasher } from '../security/passwords';
import { RateLimiter } from '../security/rate-limiter';
import { AccountTables1764316800000 } from './migrations/1764316800000-account-tables';

export const accountMigrations = [AccountTables1764316800000];

/**
 * Everything outside the process the account service depends on, with its lifecycle: the database
 * (migrated on start), the event store with its Kafka forwarder, the purchase consumer and the mail
 * outbox relay.
 */
export class AccountRuntime {
  readonly accounts: AccountService;
  readonly credentials: CredentialsService;
  readonly mail: MailSender;
  readonly readiness: ReadinessCheck[];
  private readonly consumer: BackgroundConsumer<PublicCloudEvent>;
  private readonly limiter: RateLimiter;
  private pruneTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly base: ServiceStore,
    hasher: PasswordHasher,
    config: AccountConfig,
    private readonly logger: Logger,
    metrics: Registry,
  ) {
    const { pool, kafka, store } = base;
    this.accounts = new AccountService({ store, tokenTtlSeconds: config.tokenTtlSeconds });
    this.limiter = new RateLimiter(pool);
    this.credentials = new CredentialsService({
      accounts: this.accounts,
      hasher,
      limiter: this.limiter,
      limits: config.rateLimits,
      accessTokens: config.accessTokens,
    });

    this.consumer = new BackgroundConsumer<PublicCloudEvent>({
      ...purchaseConsumerOptions(this.accounts, config.purchasesConsumerGroup),
      kafka,
      store,
      metrics,
      logger,
      // Purchases of different buyers are independent: apply each partition's records in parallel.
      partitionsConsumedConcurrently: config.kafkaPartitions,
      // Up to 50 records of a partition share one transaction and one commit.
      groupSize: 50,
    });

    const mails = new Counter({
      name: 'mail_deliveries_total',
      help: 'Mails handed to SMTP (sent) or refused by it (failed, retried later), by template',
      labelNames: ['template', 'outcome'],
      registers: [metrics],
    });
    this.mail = new MailSender({
      pool,
      smtpUrl: config.smtpUrl,
      from: config.mailFrom,
      portalUrl: config.portalUrl,
      logger,
      onSent: (template) => mails.inc({ template, outcome: 'sent' }),
      onFailed: (template) => mails.inc({ template, outcome: 'failed' }),
    });
    const mailSender = this.mail;
    new Gauge({
      name: 'mail_outbox_oldest_pending_seconds',
      help: 'Age of the oldest mail not yet handed to SMTP (0 when none is waiting)',
      registers: [metrics],
      collect: async function (this: Gauge) {
        this.set(
          await mailSender.backlog().then(
            (backlog) => backlog.oldestSeconds,
            () => NaN,
          ),
        );
      },
    });

    this.readiness = base.readiness;
  }

  static async start(config: AccountConfig, logger: Logger, metrics: Registry): Promise<AccountRuntime> {
    // Each commit wakes the forwarder and the mail relay (which exists once the runtime does).
    const wakeMail: { current?: () => void } = {};
    const base = await ServiceStore.open({
      config,
      logger,
      metrics,
      migrations: accountMigrations,
      topics: [topics.accounts],
      onAppended: () => wakeMail.current?.(),
    });
    const hasher = await PasswordHasher.create();
    const runtime = new AccountRuntime(base, hasher, config, logger, metrics);
    wakeMail.current = () => runtime.mail.wake();
    base.startPublishing();
    runtime.mail.start();
    runtime.schedulePruning();
    // The consumer needs the topics the publisher makes sure of; it joins in the background so the
    // HTTP API is up even while Kafka is not.
    runtime.consumer.start();
    return runtime;
  }

  private schedulePruning(): void {
    this.pruneTimer = setInterval(() => {
      this.limiter
        .prune()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'pruning rate limits failed'));
    }, 600_000);
    this.pruneTimer.unref();
  }

  /** Stops consuming, publishing and mailing; work in flight completes first. */
  async stopBackgroundWork(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.consumer.stop();
    await Promise.all([this.base.stopPublishing(), this.mail.stop()]);
  }

  /** Closes the database, once no request is in flight any more. */
  close(): Promise<void> {
    return this.base.close();
  }
}
