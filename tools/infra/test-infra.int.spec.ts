// What every int, e2e and browser spec relies on from npm test's infrastructure, local processes or
// containers (TEST_INFRA): each variable set, and each pointing at a service that answers as the specs
// expect. Here it runs on the local processes; where Docker runs, `TEST_INFRA=containers npm test -- int`
// runs it on the containers, where the Kafka check catches a broker advertising its container port.
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { repoRoot, requireEnv } from '@otl/testing';

const keys = JSON.parse(
  execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "const t = await import('./tools/infra/test-infra.mjs'); process.stdout.write(JSON.stringify(t.SPEC_ENV_KEYS));",
    ],
    { cwd: repoRoot, encoding: 'utf8' },
  ),
) as string[];
const allTopics = JSON.parse(
  execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "const s = await import('./tools/stack/services.mjs'); process.stdout.write(JSON.stringify(s.allTopics()));",
    ],
    { cwd: repoRoot, encoding: 'utf8' },
  ),
) as string[];

describe("npm test's infrastructure, as the specs see it", () => {
  it('sets every variable the specs read', () => {
    expect(keys).toEqual(['TEST_PG_ADMIN_URL', 'KAFKA_BROKERS', 'SMTP_URL', 'MAILDEV_API_URL']);
    for (const key of keys) expect({ key, set: Boolean(process.env[key]) }).toEqual({ key, set: true });
    expect(process.env['NODE_ENV']).toBe('test');
    expect(process.env['DATABASE_URL']).toBeUndefined();
  });

  it('TEST_PG_ADMIN_URL: a superuser on the postgres database, with room for every pool', async () => {
    const client = new Client({ connectionString: requireEnv('TEST_PG_ADMIN_URL') });
    await client.connect();
    try {
      const { rows } = await client.query<{ superuser: boolean; database: string; connections: string }>(
        `SELECT rolsuper AS superuser, current_database() AS database, current_setting('max_connections') AS connections
           FROM pg_roles WHERE rolname = current_user`,
      );
      expect(rows).toEqual([{ superuser: true, database: 'postgres', connections: '200' }]);
    } finally {
      await client.end();
    }
  });

  it('KAFKA_BROKERS: the broker advertises the address we were given, and every topic exists', async () => {
    const brokers = requireEnv('KAFKA_BROKERS');
    const admin = new Kafka({
      clientId: 'test-infra-spec',
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      // Clients go wherever the broker's metadata sends them: that must be an address reachable here.
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.map(({ host, port }) => `${host}:${port}`)).toEqual(brokers.split(','));
      const { topics } = await admin.fetchTopicMetadata({ topics: allTopics });
      for (const topic of topics)
        expect({ topic: topic.name, partitions: topic.partitions.length }).toEqual({
          topic: topic.name,
          partitions: 3,
        });
    } finally {
      await admin.disconnect();
    }
  });

  it('SMTP_URL: an SMTP server greets us', async () => {
    const { hostname, port } = new URL(requireEnv('SMTP_URL'));
    const greeting = await new Promise<string>((done, fail) => {
      const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port) });
      socket.setTimeout(5000, () => socket.destroy(new Error('no SMTP greeting within 5s')));
      socket.once('data', (chunk) => {
        done(chunk.toString());
        socket.end('QUIT\r\n');
      });
      socket.once('error', fail);
    });
    expect(greeting).toMatch(/^220 /);
  });

  it('MAILDEV_API_URL: the MailDev API is up', async () => {
    const response = await fetch(`${requireEnv('MAILDEV_API_URL')}/api/healthz`);
    expect(response.status).toBe(200);
  });
});
