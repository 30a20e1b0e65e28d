#!/usr/bin/env node
// Our event store (libs/event-store, from dist/) against @event-driven-io/emmett-postgresql on the
// same PostgreSQL server in the same run, each in its own database with the schema its own
// migration code creates, each on a pg.Pool of the same size.
//
//   npm run bench:event-store [-- --seconds 10 --writers 32 --pool 32 --hot 8,4 --log-events 200000 --batch 500 --read-seconds 20]
//
// Rows, each measured for ours and then emmett (the order alternates from row to row):
//  a. one-event appends to distinct new streams (expected version 0), `writers` concurrent writers,
//     ours through EventStore.appendToStream (one round trip) and, as a2, through transaction() +
//     commitWith as the services append (two round trips), emmett through its appendToStream;
//  b. one-event appends to `hot` streams: every writer keeps the version it last saw of each stream,
//     appends with it as the expected version and, on a conflict, reads the stream's current
//     version (one indexed row, the same query shape on both stores) and tries again;
//  c. the whole global log read in order from the start, `batch` events per read, through each
//     store's own global reader (ours: readGlobalLog, which the forwarder and projections use;
//     emmett: readMessagesBatch, which its consumer's batch puller uses, here without the puller's
//     sleep between batches). Before it, each log is topped up to `log-events` events with
//     100-event appends to new streams.
// Prints a Markdown table for tools/bench/README.md, with CPU per event of this process (both
// stores' client code runs here) and of Postgres.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { dumbo } from '@event-driven-io/dumbo';
import { isExpectedVersionConflictError } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore, readMessagesBatch } from '@event-driven-io/emmett-postgresql';
import { build, repoRoot } from '../stack/bootstrap.mjs';
import { cpuOfOwnProcesses, fmt, startBenchInfra } from './lib.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    writers: { type: 'string', default: '32' },
    pool: { type: 'string', default: '32' },
    hot: { type: 'string', default: '8,4' },
    'log-events': { type: 'string', default: '200000' },
    batch: { type: 'string', default: '500' },
    'read-seconds': { type: 'string', default: '20' },
    rounds: { type: 'string', default: '2' },
  },
});
const seconds = Number(values.seconds);
const writers = Number(values.writers);
const poolSize = Number(values.pool);
const hotCounts = values.hot.split(',').filter(Boolean).map(Number);
const logEvents = Number(values['log-events']);
const batchSize = Number(values.batch);
const readSeconds = Number(values['read-seconds']);
const rounds = Number(values.rounds);

if (!process.env.BENCH_SKIP_BUILD && !(await build())) process.exit(1);

const require = createRequire(import.meta.url);
require(join(repoRoot, 'tools/runtime/register-aliases.cjs'));
/** @type {typeof import('../../libs/event-store/src/index')} */
const ours = require(join(repoRoot, 'dist/out-tsc/libs/event-store/src/index.js'));

const run = randomUUID().slice(0, 8);
const TYPE = 'BenchItemRecorded';
/** ~200 bytes of JSON, the same shape for both stores. */
const payload = (i) => ({
  orderId: `BENCH-${run}-${String(i).padStart(8, '0')}`,
  sku: 'BARCODE-JS-DEVICE-1Y',
  quantity: 1,
  unitPrice: '1249.00',
  currency: 'USD',
  buyer: `buyer-${String(i).padStart(8, '0')}@example.com`,
  completedAt: '2026-12-03T10:00:00.000Z',
  channel: 'store',
});
const metadata = () => ({ correlationId: randomUUID() });

/** Both stores behind one shape: append with an expected version, read a version, read the log. */
async function oursStore(url) {
  // The schema by our own migration code (the services' DataSource + migrate), then a plain pool.
  // Without createDataSource's 2 s connect timeout, which a loaded 2-core machine can exceed.
  const { DataSource } = require('typeorm');
  const dataSource = new DataSource({
    ...ours.createDataSource({ url }).options,
    extra: { max: 2 }, // migrate() holds its advisory lock on one connection and migrates on another
  });
  await dataSource.initialize();
  await ours.migrate(dataSource);
  await dataSource.destroy();
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  const store = new ours.EventStore(pool);
  return {
    name: 'ours',
    pool,
    database: new URL(url).pathname.slice(1),
    /** @returns {Promise<number | null>} the new version, or null on a version conflict */
    async append(streamId, expected, events) {
      try {
        const stored = await store.appendToStream(
          streamId,
          expected,
          events.map((data) => ({ type: TYPE, data, metadata: metadata() })),
        );
        return stored.at(-1).streamPosition;
      } catch (error) {
        if (error instanceof ours.ConcurrencyError) return null;
        throw error;
      }
    },
    /** The services' way: a transaction that locks the stream, then the append sent with COMMIT. */
    async appendInTransaction(streamId, expected, events) {
      try {
        const [result] = await store.transaction({ lockStreams: [streamId] }, (tx) =>
          tx.commitWith([
            tx.appendStatement(
              streamId,
              expected,
              events.map((data) => ({ type: TYPE, data, metadata: metadata() })),
            ),
          ]),
        );
        return Number(result.rows.at(-1).stream_position);
      } catch (error) {
        if (error instanceof ours.ConcurrencyError) return null;
        throw error;
      }
    },
    async version(streamId) {
      const { rows } = await pool.query(
        'SELECT stream_position FROM es_events WHERE stream_id = $1 ORDER BY stream_position DESC LIMIT 1',
        [streamId],
      );
      return Number(rows[0]?.stream_position ?? 0);
    },
    /** Reads the whole log in order; returns how many events it read before the deadline. */
    async readLog(deadline) {
      let checkpoint = ours.LOG_START;
      let count = 0;
      while (performance.now() < deadline) {
        const batch = await ours.readGlobalLog(pool, checkpoint, batchSize);
        if (batch.length === 0) break;
        count += batch.length;
        checkpoint = ours.checkpointOf(batch[batch.length - 1]);
      }
      return count;
    },
    close: () => pool.end(),
  };
}

async function emmettStore(url) {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  const store = getPostgreSQLEventStore(url, {
    connectionOptions: { pool },
    schema: { autoMigration: 'None' },
  });
  await store.schema.migrate(); // emmett's own migrations
  const executor = dumbo({ connectionString: url, pool });
  return {
    name: 'emmett',
    pool,
    database: new URL(url).pathname.slice(1),
    async append(streamId, expected, events) {
      try {
        const result = await store.appendToStream(
          streamId,
          events.map((data) => ({ type: TYPE, data, metadata: metadata() })),
          { expectedStreamVersion: BigInt(expected) },
        );
        return Number(result.nextExpectedStreamVersion);
      } catch (error) {
        if (isExpectedVersionConflictError(error)) return null;
        throw error;
      }
    },
    async version(streamId) {
      const { rows } = await pool.query(
        `SELECT stream_position FROM emt_streams WHERE stream_id = $1 AND partition = 'emt:default' AND is_archived = FALSE`,
        [streamId],
      );
      return Number(rows[0]?.stream_position ?? 0);
    },
    async readLog(deadline) {
      let after = 0n;
      let count = 0;
      while (performance.now() < deadline) {
        const { messages, currentGlobalPosition, areMessagesLeft } = await readMessagesBatch(
          executor.execute,
          { after, batchSize },
        );
        count += messages.length;
        after = currentGlobalPosition;
        if (!areMessagesLeft) break;
      }
      return count;
    },
    close: async () => {
      await store.close();
      await pool.end();
    },
  };
}

let sequence = 0;

/** Row a: `writers` loops of one-event appends to new streams for `seconds`. */
async function newStreams(store) {
  let appends = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (performance.now() < deadline) {
        const i = sequence++;
        if ((await store.append(`bench-${run}-new-${i}`, 0, [payload(i)])) === null)
          throw new Error('a new stream conflicted');
        appends++;
      }
    }),
  );
  return { appends, conflicts: 0 };
}

/** Row b: `writers` loops over `streams` hot streams, optimistic, retrying conflicts. */
async function hotStreams(store, streams) {
  const ids = Array.from({ length: streams }, (_, k) => `bench-${run}-${store.name}-hot${streams}-${k}`);
  let appends = 0;
  let conflicts = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const seen = new Map(ids.map((id) => [id, 0]));
      for (let turn = w; performance.now() < deadline; turn++) {
        const id = ids[turn % streams];
        const i = sequence++;
        for (;;) {
          const next = await store.append(id, seen.get(id), [payload(i)]);
          if (next !== null) {
            seen.set(id, next);
            break;
          }
          conflicts++;
          seen.set(id, await store.version(id));
        }
        appends++;
      }
    }),
  );
  return { appends, conflicts };
}

async function countEvents(store) {
  const table = store.name === 'ours' ? 'es_events' : 'emt_messages';
  const { rows } = await store.pool.query(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0].n;
}

/** Tops the log up to `logEvents` with 100-event appends to new streams. */
async function fill(store) {
  const missing = logEvents - (await countEvents(store));
  const appends = Math.max(0, Math.ceil(missing / 100));
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(writers, 8) }, async () => {
      while (next < appends) {
        const n = next++;
        const base = sequence;
        sequence += 100;
        const events = Array.from({ length: 100 }, (_, k) => payload(base + k));
        if ((await store.append(`bench-${run}-fill-${n}`, 0, events)) === null)
          throw new Error('a fill stream conflicted');
      }
    }),
  );
  await store.pool.query('VACUUM ANALYZE');
  return countEvents(store);
}

/** Measures `work` and the CPU it cost this process (client code) and Postgres. */
async function measured(work) {
  const before = await cpuOfOwnProcesses({});
  const started = performance.now();
  const result = await work();
  const elapsed = (performance.now() - started) / 1000;
  const after = await cpuOfOwnProcesses({});
  return {
    ...result,
    elapsed,
    clientMs: after.generator - before.generator,
    postgresMs: after.postgres - before.postgres,
  };
}

const infra = await startBenchInfra();
const stores = [];
try {
  // Created one by one and listed at once, so a failed start still closes the other.
  stores.push(await oursStore(await infra.database('bench_es_ours')));
  stores.push(await emmettStore(await infra.database('bench_es_emmett')));
  console.log('Both schemas migrated');
  const [oursSide, emmettSide] = stores;
  const { rows: versionRows } = await oursSide.pool.query('SHOW server_version');

  const oursInTransaction = { ...oursSide, name: 'ours-tx', append: oursSide.appendInTransaction };
  /** @type {{ label: string, unit: string, results: Record<string, any[]> }[]} */
  const rows = [];
  let flip = false;
  /** Runs `work` for each side `rounds` times, in an order that alternates from run to run. */
  const sideBySide = async (label, unit, sides, work, times = rounds) => {
    const results = Object.fromEntries(sides.map((side) => [side.name, []]));
    for (let round = 0; round < times; round++) {
      for (const side of flip ? [...sides].reverse() : sides) {
        const r = await measured(() => work(side));
        results[side.name].push(r);
        const count = r.appends ?? r.events;
        console.log(
          `${label} ${side.name}: ${count} ${unit} in ${fmt(r.elapsed, 1)} s, ${fmt(count / r.elapsed, 0)}/s` +
            (r.conflicts !== undefined ? `, ${r.conflicts} conflicts` : '') +
            `, client ${fmt((r.clientMs * 1000) / count, 0)} µs and Postgres ${fmt((r.postgresMs * 1000) / count, 0)} µs CPU per ${unit === 'events' ? 'event' : 'append'}`,
        );
      }
      flip = !flip;
    }
    rows.push({ label, unit, results });
  };

  await sideBySide(
    `a. new streams, ${writers} writers`,
    'appends',
    [oursSide, oursInTransaction, emmettSide],
    newStreams,
  );
  for (const streams of hotCounts) {
    await sideBySide(
      `b. ${streams} hot streams, ${writers} writers`,
      'appends',
      [oursSide, emmettSide],
      (store) => hotStreams(store, streams),
    );
  }
  const sizes = {};
  for (const store of stores) sizes[store.name] = await fill(store);
  await sideBySide(
    `c. read the global log (${sizes.ours} / ${sizes.emmett} events), batch ${batchSize}`,
    'events',
    [oursSide, emmettSide],
    async (store) => ({ events: await store.readLog(performance.now() + readSeconds * 1000) }),
    1,
  );

  console.log(
    `\nPostgreSQL ${versionRows[0].server_version}, pool ${poolSize} per store, ${rounds} × ${seconds} s per append row and store, Node ${process.versions.node}\n`,
  );
  console.log(
    '| row | ours /s | emmett /s | ours / emmett | conflicts (ours / emmett) | CPU µs per op, client + Postgres (ours / emmett) |',
  );
  console.log('|---|---:|---:|---:|---:|---:|');
  // Sums over the rounds: rates are total operations over total time, CPU per operation likewise.
  const total = (list) => {
    const sum = (key) => list.reduce((acc, r) => acc + (r[key] ?? 0), 0);
    const n = sum('appends') + sum('events');
    return {
      n,
      rate: n / sum('elapsed'),
      conflicts: sum('conflicts'),
      clientMs: sum('clientMs'),
      postgresMs: sum('postgresMs'),
    };
  };
  const cpu = (t) => `${fmt((t.clientMs * 1000) / t.n, 0)} + ${fmt((t.postgresMs * 1000) / t.n, 0)}`;
  for (const { label, unit, results } of rows) {
    const emmett = total(results.emmett);
    for (const name of Object.keys(results).filter((key) => key !== 'emmett')) {
      const side = total(results[name]);
      const conflicts =
        unit === 'appends' && label.startsWith('b') ? `${side.conflicts} / ${emmett.conflicts}` : '';
      const rowLabel = name === 'ours' ? label : `${label}, ours via transaction() + commitWith`;
      console.log(
        `| ${rowLabel} | ${fmt(side.rate, 0)} | ${fmt(emmett.rate, 0)} | ${fmt(side.rate / emmett.rate, 2)}× | ${conflicts} | ${cpu(side)} / ${cpu(emmett)} |`,
      );
    }
  }
} finally {
  await Promise.allSettled(stores.map((store) => store.close()));
  await infra.stop();
}
