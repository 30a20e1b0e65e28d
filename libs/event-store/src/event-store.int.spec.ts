import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { ContractViolationError } from '@otl/contracts';
import { ConcurrencyError, EventStoreUsageError } from './errors';
import { migratedTestDatabase, type MigratedTestDatabase } from './test-support/database';
import { EventStore } from './event-store';
import { LOG_START, checkpointOf, readGlobalLog } from './global-log';

describe('EventStore (real Postgres)', () => {
  let db: MigratedTestDatabase;
  let pool: Pool;
  let store: EventStore;

  beforeAll(async () => {
    db = await migratedTestDatabase('event_store');
    pool = db.pool;
    store = new EventStore(pool);
  });

  afterAll(async () => {
    await db?.close();
  });

  const streamId = () => `Test-${randomUUID()}`;
  const append = (stream: string, expected: number, ...types: string[]) =>
    store.transaction({ lockStreams: [stream] }, (tx) =>
      tx.appendToStream(
        stream,
        expected,
        types.map((type) => ({ type, data: { type } })),
      ),
    );

  it('appends and reads a stream in order with its version', async () => {
    const stream = streamId();
    await append(stream, 0, 'a.happened', 'b.happened');
    await append(stream, 2, 'c.happened');
    const slice = await store.readStream(stream);
    expect(slice.version).toBe(3);
    expect(slice.events.map((event) => [event.streamPosition, event.type])).toEqual([
      [1, 'a.happened'],
      [2, 'b.happened'],
      [3, 'c.happened'],
    ]);
    expect(slice.events[0]!.data).toEqual({ type: 'a.happened' });
  });

  it('reads a missing stream as version 0', async () => {
    expect(await store.readStream(streamId())).toEqual({ version: 0, events: [] });
  });

  it('lets exactly one of two appends at the same expected version win', async () => {
    const stream = streamId();
    await append(stream, 0, 'created');
    const results = await Promise.allSettled([append(stream, 1, 'first'), append(stream, 1, 'second')]);
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(ConcurrencyError);
    const slice = await store.readStream(stream);
    expect(slice.version).toBe(2);
  });

  it('refuses a stale expected version without storing anything', async () => {
    const stream = streamId();
    await append(stream, 0, 'created', 'changed');
    await expect(append(stream, 1, 'late')).rejects.toBeInstanceOf(ConcurrencyError);
    expect((await store.readStream(stream)).events.map((event) => event.type)).toEqual([
      'created',
      'changed',
    ]);
  });

  it('never stores an event of the public contract that breaks its schema', async () => {
    const stream = streamId();
    await expect(
      store.transaction({ lockStreams: [stream] }, (tx) =>
        tx.appendToStream(stream, 0, [{ type: 'account.created.v1', data: { accountId: 'not-a-uuid' } }]),
      ),
    ).rejects.toBeInstanceOf(ContractViolationError);
    expect((await store.readStream(stream)).version).toBe(0);
  });

  it('refuses to append to a stream the transaction did not lock', async () => {
    const stream = streamId();
    await expect(
      store.transaction({ lockStreams: [] }, (tx) => tx.appendToStream(stream, 0, [{ type: 'x', data: {} }])),
    ).rejects.toBeInstanceOf(EventStoreUsageError);
    expect((await store.readStream(stream)).version).toBe(0);
  });

  it('takes further stream locks before writing, and refuses them after an append', async () => {
    const first = streamId();
    const second = streamId();
    await store.transaction({ lockStreams: [first] }, async (tx) => {
      await tx.lockStreams([second]);
      await tx.appendToStream(second, 0, [{ type: 'late.locked', data: {} }]);
      await expect(tx.lockStreams([streamId()])).rejects.toThrow(EventStoreUsageError);
    });
    expect((await store.readStream(second)).version).toBe(1);
  });

  it('takes further locks after appends prepared for commitWith, which are sent only with COMMIT', async () => {
    // As a group of inbox handlers does: each prepares its appends, the next one still locks.
    const [first, second] = [streamId(), streamId()];
    await store.transaction({ lockStreams: [first] }, async (tx) => {
      const append = tx.appendStatement(first, 0, [{ type: 'prepared', data: {} }]);
      await tx.lockStreams([second]);
      await tx.commitWith([append, tx.appendStatement(second, 0, [{ type: 'prepared', data: {} }])]);
    });
    expect([(await store.readStream(first)).version, (await store.readStream(second)).version]).toEqual([
      1, 1,
    ]);
  });

  it('makes a late lock wait for the transaction that holds it', async () => {
    const stream = streamId();
    const order: string[] = [];
    let release!: () => void;
    let locked!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const holderLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = store.transaction({ lockStreams: [stream] }, async (tx) => {
      order.push('holder locked');
      locked();
      await held;
      await tx.appendToStream(stream, 0, [{ type: 'holder.appended', data: {} }]);
      order.push('holder appended');
    });
    await holderLocked;
    const waiter = store.transaction({ lockStreams: [] }, async (tx) => {
      await tx.lockStreams([stream]);
      order.push('waiter locked');
      const { version } = await tx.readStream(stream);
      await tx.appendToStream(stream, version, [{ type: 'waiter.appended', data: {} }]);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    await Promise.all([holder, waiter]);
    expect(order).toEqual(['holder locked', 'holder appended', 'waiter locked']);
    expect((await store.readStream(stream)).events.map((event) => event.type)).toEqual([
      'holder.appended',
      'waiter.appended',
    ]);
  });

  it('rolls back every write of a failing transaction', async () => {
    const stream = streamId();
    await expect(
      store.transaction({ lockStreams: [stream] }, async (tx) => {
        await tx.appendToStream(stream, 0, [{ type: 'created', data: {} }]);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await store.readStream(stream)).version).toBe(0);
  });

  it('never skips a transaction that commits after later ones (global log)', async () => {
    // Start from the end of the log as it is now.
    const before = await readGlobalLog(pool, LOG_START, 100_000);
    const start = before.length ? checkpointOf(before[before.length - 1]!) : LOG_START;

    const slow = streamId();
    const fast1 = streamId();
    const fast2 = streamId();
    let releaseSlow!: () => void;
    const slowMayCommit = new Promise<void>((resolve) => (releaseSlow = resolve));
    let slowAppended!: () => void;
    const slowHasAppended = new Promise<void>((resolve) => (slowAppended = resolve));

    const slowTx = store.transaction({ lockStreams: [slow] }, async (tx) => {
      await tx.appendToStream(slow, 0, [{ type: 'slow', data: {} }]);
      slowAppended();
      await slowMayCommit;
    });
    await slowHasAppended;
    await append(fast1, 0, 'fast-1');
    await append(fast2, 0, 'fast-2');

    // While the slow transaction is open, nothing after it may be handed out.
    const whileOpen = await readGlobalLog(pool, start, 1000);
    expect(whileOpen.map((event) => event.type)).toEqual([]);

    releaseSlow();
    await slowTx;
    const afterCommit = await readGlobalLog(pool, start, 1000);
    expect(afterCommit.map((event) => event.type)).toEqual(['slow', 'fast-1', 'fast-2']);

    // Reading on from the last checkpoint returns nothing new.
    expect(await readGlobalLog(pool, checkpointOf(afterCommit[2]!), 1000)).toEqual([]);
  });

  it('keeps a stream in order in the global log when writers race on it', async () => {
    const stream = streamId();
    await append(stream, 0, 'e1');
    const before = await readGlobalLog(pool, LOG_START, 100_000);
    const start = checkpointOf(before[before.length - 1]!);
    // 20 writers, each re-reading the stream and appending one event until it succeeds.
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        for (;;) {
          try {
            await store.transaction({ lockStreams: [stream] }, async (tx) => {
              const { version } = await tx.readStream(stream);
              await tx.appendToStream(stream, version, [{ type: 'next', data: {} }]);
            });
            return;
          } catch (error) {
            if (!(error instanceof ConcurrencyError)) throw error;
          }
        }
      }),
    );
    const log = (await readGlobalLog(pool, start, 1000)).filter((event) => event.streamId === stream);
    expect(log.map((event) => event.streamPosition)).toEqual(
      Array.from({ length: 20 }, (_, index) => index + 2),
    );
  });

  describe('appendToStream in one round trip (EventStore.appendToStream)', () => {
    const appendOne = (stream: string, expected: number, ...types: string[]) =>
      store.appendToStream(
        stream,
        expected,
        types.map((type) => ({ type, data: { type } })),
      );

    it('appends a new stream, then after its version, and returns what it stored', async () => {
      const stream = streamId();
      const first = await appendOne(stream, 0, 'a.happened', 'b.happened');
      expect(first.map((event) => [event.streamPosition, event.type])).toEqual([
        [1, 'a.happened'],
        [2, 'b.happened'],
      ]);
      await appendOne(stream, 2, 'c.happened');
      const slice = await store.readStream(stream);
      expect(slice.version).toBe(3);
      expect(slice.events.map((event) => event.type)).toEqual(['a.happened', 'b.happened', 'c.happened']);
      expect(slice.events[2]!.data).toEqual({ type: 'c.happened' });
    });

    it('refuses an expected version behind or ahead of the stream, storing nothing', async () => {
      const stream = streamId();
      await appendOne(stream, 0, 'created', 'changed');
      await expect(appendOne(stream, 0, 'again')).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(appendOne(stream, 1, 'late')).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(appendOne(stream, 5, 'early')).rejects.toBeInstanceOf(ConcurrencyError);
      expect((await store.readStream(stream)).events.map((event) => event.type)).toEqual([
        'created',
        'changed',
      ]);
      // The connections it used are clean: the next append on the pool works.
      await appendOne(stream, 2, 'closed');
      expect((await store.readStream(stream)).version).toBe(3);
    });

    it('lets exactly one of several appends at the same expected version win', async () => {
      const stream = streamId();
      await appendOne(stream, 0, 'created');
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, (_, index) => appendOne(stream, 1, `attempt-${index}`)),
      );
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
      expect(lost).toHaveLength(5);
      for (const result of lost) expect(result.reason).toBeInstanceOf(ConcurrencyError);
      expect((await store.readStream(stream)).version).toBe(2);
    });

    it('never stores an event of the public contract that breaks its schema', async () => {
      const stream = streamId();
      await expect(
        store.appendToStream(stream, 0, [{ type: 'account.created.v1', data: { accountId: 'not-a-uuid' } }]),
      ).rejects.toBeInstanceOf(ContractViolationError);
      expect(await store.readStream(stream)).toEqual({ version: 0, events: [] });
    });

    it('keeps a stream in order in the global log when writers race on it with retries', async () => {
      const stream = streamId();
      await appendOne(stream, 0, 'e1');
      const before = await readGlobalLog(pool, LOG_START, 100_000);
      const start = checkpointOf(before[before.length - 1]!);
      // 20 writers, each appending at the version it last saw and re-reading it after a conflict.
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          let seen = 1;
          for (;;) {
            try {
              await appendOne(stream, seen, 'next');
              return;
            } catch (error) {
              if (!(error instanceof ConcurrencyError)) throw error;
              seen = (await store.readStream(stream)).version;
            }
          }
        }),
      );
      const log = (await readGlobalLog(pool, start, 1000)).filter((event) => event.streamId === stream);
      expect(log.map((event) => event.streamPosition)).toEqual(
        Array.from({ length: 20 }, (_, index) => index + 2),
      );
    });

    it('calls onAppended after an append committed, and not after a lost race', async () => {
      let calls = 0;
      const counting = new EventStore(pool, { onAppended: () => calls++ });
      const stream = streamId();
      await counting.appendToStream(stream, 0, [{ type: 'created', data: {} }]);
      await expect(
        counting.appendToStream(stream, 0, [{ type: 'created', data: {} }]),
      ).rejects.toBeInstanceOf(ConcurrencyError);
      expect(calls).toBe(1);
    });
  });
});
