import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
  type Provider,
} from '@nestjs/common';
import { topics } from '@otl/contracts';
import { AuthModule } from '@otl/auth';
import { EventStore, ServiceStore, serviceModule } from '@otl/event-store';
import { CLOCK, LOGGER, METRICS_REGISTRY, SERVICE_CONFIG, type Clock, type Logger } from '@otl/platform';
import { Counter, Gauge, type Registry } from 'prom-client';
import { AccountService } from './accounts/account.service';
import { AuthController, MeController } from './auth/auth.controller';
import { CredentialsService } from './auth/credentials.service';
import type { AccountConfig } from './config';
import { accountMigrations } from './infrastructure/migrations';
import { MailSender } from './mail/mail-sender';
import { PurchaseConsumer } from './purchases/purchase-consumer';
import { RegistrationController } from './registration/registration.controller';
import { PasswordHasher } from './security/passwords';
import { RateLimiter } from './security/rate-limiter';
import { RefreshTokens } from './security/refresh-tokens';
import { ACCESS_TOKEN_RING } from './tokens';

/** The mail outbox relay: woken by every commit, stopped (its mail in flight sent) before the database closes. */
@Injectable()
class MailRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(MailSender) private readonly mail: MailSender,
    @Inject(ServiceStore) private readonly base: ServiceStore,
  ) {}

  onApplicationBootstrap(): void {
    this.base.whenAppended(() => this.mail.wake());
    this.mail.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.mail.stop();
  }
}

/**
 * Every 10 minutes: expired rate-limit buckets, and refresh tokens a day after they expired or
 * their sign-in was revoked, are deleted.
 */
@Injectable()
class Pruning implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(RateLimiter) private readonly limiter: RateLimiter,
    @Inject(RefreshTokens) private readonly refreshTokens: RefreshTokens,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.limiter
        .prune()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'pruning rate limits failed'));
      this.refreshTokens
        .prune()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'pruning refresh tokens failed'));
    }, 600_000);
    this.timer.unref();
  }

  beforeApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}

const mailSender: Provider = {
  provide: MailSender,
  inject: [ServiceStore, SERVICE_CONFIG, LOGGER, METRICS_REGISTRY],
  useFactory: (base: ServiceStore, config: AccountConfig, logger: Logger, metrics: Registry) => {
    const mails = new Counter({
      name: 'mail_deliveries_total',
      help: 'Mails handed to SMTP (sent) or refused by it (failed, retried later), by template',
      labelNames: ['template', 'outcome'],
      registers: [metrics],
    });
    const sender = new MailSender({
      pool: base.pool,
      smtpUrl: config.smtpUrl,
      from: config.mailFrom,
      portalUrl: config.portalUrl,
      logger,
      onSent: (template) => mails.inc({ template, outcome: 'sent' }),
      onFailed: (template) => mails.inc({ template, outcome: 'failed' }),
    });
    new Gauge({
      name: 'mail_outbox_oldest_pending_seconds',
      help: 'Age of the oldest mail not yet handed to SMTP (0 when none is waiting)',
      registers: [metrics],
      collect: async function (this: Gauge) {
        this.set(
          await sender.backlog().then(
            (backlog) => backlog.oldestSeconds,
            () => NaN,
          ),
        );
      },
    });
    return sender;
  },
};

function credentialsService(config: AccountConfig): Provider {
  return {
    provide: CredentialsService,
    inject: [AccountService, PasswordHasher, RateLimiter, RefreshTokens, LOGGER, METRICS_REGISTRY, CLOCK],
    useFactory: (
      accounts: AccountService,
      hasher: PasswordHasher,
      limiter: RateLimiter,
      refreshTokens: RefreshTokens,
      logger: Logger,
      metrics: Registry,
      now: Clock,
    ) => {
      const refreshes = new Counter({
        name: 'token_refreshes_total',
        help: 'Refresh-token exchanges: rotated (200), refused (401, reuse included) or rate-limited (429)',
        labelNames: ['outcome'],
        registers: [metrics],
      });
      const reuse = new Counter({
        name: 'refresh_token_reuse_total',
        help: 'Refresh tokens presented again after their use; each revoked the whole sign-in (family)',
        registers: [metrics],
      });
      return new CredentialsService({
        accounts,
        hasher,
        limiter,
        limits: config.rateLimits,
        accessTokens: config.accessTokens,
        refreshTokens,
        refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
        logger,
        onRefresh: (outcome) => refreshes.inc({ outcome }),
        onReuse: () => reuse.inc(),
        now,
      });
    },
  };
}

/** The account service: its HTTP API, the purchase consumer and the mail relay, as Nest providers. */
export function appModule(config: AccountConfig, logger: Logger, metrics: Registry): DynamicModule {
  const { keys, issuer, audience } = config.accessTokens;
  return serviceModule({
    config,
    logger,
    metrics,
    migrations: accountMigrations,
    topics: [topics.accounts],
    // Purchases of different buyers are independent: each partition's records are applied in
    // parallel, up to 50 of a partition sharing one transaction and one commit.
    subscriptions: [
      {
        name: config.purchasesConsumerGroup,
        partitionsConsumedConcurrently: config.kafkaPartitions,
        groupSize: 50,
      },
    ],
    // The issuer checks its own tokens with its key ring; other services use the JWKS URL.
    imports: [AuthModule.forRoot({ issuer, audience, keys, logger })],
    controllers: [RegistrationController, AuthController, MeController, PurchaseConsumer],
    providers: [
      { provide: ACCESS_TOKEN_RING, useValue: keys },
      {
        provide: AccountService,
        inject: [EventStore, CLOCK],
        useFactory: (store: EventStore, now: Clock) =>
          new AccountService({ store, tokenTtlSeconds: config.tokenTtlSeconds, now }),
      },
      { provide: PasswordHasher, useFactory: () => PasswordHasher.create() },
      {
        provide: RateLimiter,
        inject: [ServiceStore],
        useFactory: (base: ServiceStore) => new RateLimiter(base.pool),
      },
      {
        provide: RefreshTokens,
        inject: [ServiceStore],
        useFactory: (base: ServiceStore) => new RefreshTokens(base.pool, config.refreshTokenTtlSeconds),
      },
      credentialsService(config),
      mailSender,
      MailRelay,
      Pruning,
    ],
  });
}
