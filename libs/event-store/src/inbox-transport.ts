import type { INestApplication } from '@nestjs/common';
import {
  BaseRpcContext,
  Server,
  type CustomTransportStrategy,
  type MessageHandler,
} from '@nestjs/microservices';
import {
  assertValidEvent,
  parseCloudEventEnvelope,
  topicOf,
  type CloudEvent,
  isPublicEventType,
} from '@otl/contracts';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { isObservable, lastValueFrom } from 'rxjs';
import { BackgroundConsumer } from './background-consumer';
import type { EventStore, EventTransaction, Statement } from './event-store';
import type { InboxMessage } from './inbox-consumer';
import type { Logger } from './logger';

/** A record as handlers see it: a CloudEvent whose data was checked against its type's schema. */
export type InboxEvent = CloudEvent<string, Record<string, unknown>>;

/**
 * What an `@EventPattern` handler declares beside its event type. `locks` names the streams the
 * handler appends to; they are locked (and read) when its transaction begins, so records of other
 * streams can share one transaction and records of one stream never do.
 */
export interface InboxHandlerExtras<D = never> {
  locks(data: D): readonly string[];
  /** The subscription (consumer group) the handler belongs to; default: the first one. */
  subscription?: string;
}

/** The second argument of a handler (`@Ctx()`): the inbox transaction and the record it came from. */
export class InboxContext extends BaseRpcContext<[EventTransaction, InboxMessage<InboxEvent>]> {
  /** The transaction that records the event in the inbox; append through it, or return statements. */
  get transaction(): EventTransaction {
    return this.getArgByIndex(0);
  }

  get message(): InboxMessage<InboxEvent> {
    return this.getArgByIndex(1);
  }
}

/** What a handler returns: nothing, or statements to send with the inbox row and COMMIT. */
export type InboxHandlerResult = void | readonly (Statement | null)[];

export interface InboxSubscription {
  /** Consumer group id and inbox name. */
  name: string;
  /** Records of a partition applied in one transaction (see InboxConsumer). */
  groupSize?: number;
  partitionsConsumedConcurrently?: number;
  maxAttempts?: number;
  retryBaseMs?: number;
}

export interface InboxTransportOptions {
  kafka: Kafka;
  store: EventStore;
  logger: Logger;
  metrics: Registry;
  subscriptions: readonly InboxSubscription[];
}

interface BoundHandler {
  handler: MessageHandler;
  locks(data: unknown): readonly string[];
}

/**
 * Our Kafka inbox as a Nest transport: handlers are ordinary `@EventPattern(type, { locks })`
 * methods of controllers. Each subscription is one consumer group (one BackgroundConsumer) over the
 * topics its handlers' event types travel on. A record whose type has no handler is recorded and
 * skipped; one that is not a CloudEvent, or whose data breaks its schema, goes to the DLQ. Handler
 * errors reach the inbox's retry logic as thrown (the platform's exception filter rethrows in RPC
 * context), so a ConcurrencyError or a database outage is retried, not swallowed.
 */
export class InboxTransport extends Server implements CustomTransportStrategy {
  private consumers: BackgroundConsumer<InboxEvent>[] = [];
  private closed = false;

  constructor(private readonly options: InboxTransportOptions) {
    super();
  }

  listen(callback: (...optionalParams: unknown[]) => unknown): void {
    try {
      this.consumers = this.options.subscriptions.map((subscription, index) =>
        this.consumerFor(subscription, this.handlersOf(subscription.name, index === 0)),
      );
      for (const consumer of this.consumers) consumer.start();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Stops every consumer; the records being applied finish first. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.consumers.map((consumer) => consumer.stop()));
  }

  on(): never {
    throw new Error('InboxTransport has no events to listen to');
  }

  unwrap<T>(): T {
    return this.consumers as T;
  }

  /** Handlers by event type for one subscription; a misdeclared handler stops the start-up. */
  private handlersOf(subscription: string, isDefault: boolean): Map<string, BoundHandler> {
    const bound = new Map<string, BoundHandler>();
    for (const [type, handler] of this.messageHandlers) {
      const extras = (handler.extras ?? {}) as Partial<InboxHandlerExtras<unknown>>;
      const target = extras.subscription;
      if (target === undefined ? !isDefault : target !== subscription) continue;
      if (!handler.isEventHandler)
        throw new Error(`${type}: inbox handlers are @EventPattern, not @MessagePattern`);
      if (!isPublicEventType(type)) throw new Error(`${type}: not an event type of the contract`);
      if (typeof extras.locks !== 'function')
        throw new Error(`${type}: declare the streams it locks ({ locks })`);
      if (handler.next) throw new Error(`${type}: more than one handler in subscription ${subscription}`);
      bound.set(type, { handler, locks: extras.locks });
    }
    if (bound.size === 0) throw new Error(`subscription ${subscription} has no handlers`);
    return bound;
  }

  private consumerFor(subscription: InboxSubscription, handlers: Map<string, BoundHandler>) {
    const { kafka, store, logger, metrics } = this.options;
    const types = [...handlers.keys()].filter(isPublicEventType);
    return new BackgroundConsumer<InboxEvent>({
      ...subscription,
      kafka,
      store,
      logger,
      metrics,
      topics: [...new Set(types.map((type) => topicOf[type]))],
      parse: (value) => {
        const event = parseCloudEventEnvelope(value);
        // Only a type this consumer acts on must hold to its schema; others are skipped unread.
        if (handlers.has(event.type)) assertValidEvent(event);
        return event;
      },
      identify: (event) => ({ id: event.id, type: event.type }),
      handles: (event) => handlers.has(event.type),
      streamsOf: (event) => handlers.get(event.type)?.locks(event.data) ?? [],
      handle: async (event, tx, message) => {
        const bound = handlers.get(event.type);
        if (!bound) return [];
        try {
          const result: unknown = await bound.handler(event.data, new InboxContext([tx, message]));
          const value: unknown = isObservable(result)
            ? await lastValueFrom(result, { defaultValue: undefined })
            : result;
          return (value ?? []) as readonly (Statement | null)[];
        } catch (error) {
          // Nest's default RPC filter turns errors into a plain object; name the fix instead.
          if (error instanceof Error) throw error;
          throw new Error(
            `${event.type} handler failed with ${JSON.stringify(error)}: its exception filter must rethrow in RPC context`,
          );
        }
      },
    });
  }
}

/**
 * Hosts the inbox transport in a Nest app (by default the one `serviceModule` provides): its handlers are bound, and its consumers start (joining
 * their groups in the background). The app's config is inherited so that the platform's exception
 * filter, which rethrows in RPC context, is the one handlers run under.
 */
export async function connectInbox(
  app: INestApplication,
  transport: InboxTransport = app.get(InboxTransport),
): Promise<void> {
  app.connectMicroservice({ strategy: transport }, { inheritAppConfig: true });
  await app.startAllMicroservices();
}
