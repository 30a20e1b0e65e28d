import { Counter, type Registry } from 'prom-client';
import { InboxConsumer, type InboxConsumerOptions } from './inbox-consumer';
import { errorFields, sleep } from './logger';

export type BackgroundConsumerOptions<E> = Omit<InboxConsumerOptions<E>, 'dlqProducer' | 'onProcessed'> & {
  /** Registry for `inbox_records_total{consumer,outcome}`. */
  metrics: Registry;
};

/**
 * An inbox consumer with its service lifecycle: it joins its group in the background (so the HTTP
 * API is up even while Kafka is not), retries until it has joined, parks poison records through
 * its own idempotent producer, counts outcomes, and stops cleanly.
 */
export class BackgroundConsumer<E> {
  private readonly dlqProducer;
  private consumer: InboxConsumer<E> | undefined;
  private stopped = false;
  private readonly processed: Counter;

  constructor(private readonly options: BackgroundConsumerOptions<E>) {
    this.dlqProducer = options.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const existing = options.metrics.getSingleMetric('inbox_records_total');
    this.processed =
      existing instanceof Counter
        ? existing
        : new Counter({
            name: 'inbox_records_total',
            help: 'Kafka records the inbox consumers processed, by outcome',
            labelNames: ['consumer', 'outcome'],
            registers: [options.metrics],
          });
  }

  /** Starts joining; resolves at once. */
  start(): void {
    void this.join();
  }

  private async join(): Promise<void> {
    const { logger, name } = this.options;
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.dlqProducer.connect();
        this.consumer = new InboxConsumer<E>({
          ...this.options,
          dlqProducer: this.dlqProducer,
          onProcessed: (outcome) => this.processed.inc({ consumer: name, outcome }),
        });
        await this.consumer.start();
        logger.info({ consumer: name }, 'consumer joined its group');
        return;
      } catch (error) {
        await this.consumer?.stop().catch(() => undefined);
        this.consumer = undefined;
        if (this.stopped) return;
        logger.warn({ consumer: name, attempt, ...errorFields(error) }, 'consumer could not start; retrying');
        await sleep(Math.min(1000 * attempt, 10_000));
      }
    }
  }

  /** Stops fetching; the record being applied finishes first. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer?.stop();
    await this.dlqProducer.disconnect();
  }
}
