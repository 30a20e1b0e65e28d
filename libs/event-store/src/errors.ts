/** Another writer appended to the stream since it was read; reload and decide again. */
export class ConcurrencyError extends Error {
  readonly code = 'concurrency-conflict';
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
  ) {
    super(`stream ${streamId} is no longer at version ${expectedVersion}`);
    this.name = 'ConcurrencyError';
  }
}

/** A programming error in how the event store is used (never caused by input). */
export class EventStoreUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventStoreUsageError';
  }
}
