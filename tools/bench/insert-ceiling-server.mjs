#!/usr/bin/env node
// The store-webhook benchmark's ceiling: a bare Fastify HTTP handler that stores each request's raw
// body with one single-row INSERT, committed on its own (autocommit), and answers 202. No signature
// check, no parsing, no event store, no Kafka: what one HTTP request with one durable commit costs
// on this machine, under the same load generator as the service.
//
//   DATABASE_URL=postgres://… PORT=3192 node tools/bench/insert-ceiling-server.mjs
//
// The pool has the service's size (DATABASE_POOL_SIZE, 32 in the benchmark). Prints `ready` on stdout
// once it listens.
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_SIZE ?? 32),
});
await pool.query(
  'CREATE TABLE IF NOT EXISTS bench_http_ceiling (id bigserial PRIMARY KEY, body text NOT NULL, at timestamptz NOT NULL DEFAULT now())',
);

const app = Fastify({ logger: false, bodyLimit: 256 * 1024 });
// The body as bytes, as the service takes it before its signature check.
app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) =>
  done(null, body),
);
app.post('/v1/webhooks/store', async (request, reply) => {
  const { rows } = await pool.query('INSERT INTO bench_http_ceiling (body) VALUES ($1) RETURNING id', [
    request.body.toString('utf8'),
  ]);
  return reply.code(202).send({ id: rows[0].id });
});
app.get('/health/ready', async () => ({ status: 'ok' }));

const close = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.once('SIGTERM', close);
process.once('SIGINT', close);

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3192) });
console.log('ready');
