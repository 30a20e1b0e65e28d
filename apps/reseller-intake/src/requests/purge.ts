import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Clock, Logger } from '@otl/platform';
import type { IdempotencyKeys } from './idempotency';

/**
 * Deletes expired Idempotency-Keys every few minutes. Every instance runs it; the deletes are
 * idempotent and batched, so instances sharing the work only make it finish sooner.
 */
export class IdempotencyPurge implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly keys: IdempotencyKeys,
    private readonly now: Clock,
    private readonly intervalSeconds: number,
    private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.runOnce(), this.intervalSeconds * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass (the timer's, or a caller's); a pass still running is joined, not doubled. */
  runOnce(): Promise<void> {
    this.running ??= this.keys
      .purgeExpired(this.now())
      .then((purged) => {
        if (purged > 0) this.logger.info({ purged }, 'expired idempotency keys purged');
      })
      .catch((error: unknown) =>
        this.logger.warn({ err: error }, 'idempotency key purge failed; retried later'),
      )
      .finally(() => (this.running = undefined));
    return this.running;
  }
}
