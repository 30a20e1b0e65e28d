// The Kafka security of k8s/ against a real broker: a KRaft Kafka (the jars npm test fetches into
// .cache/kafka) with a SASL_SSL listener (SCRAM-SHA-512, a self-signed certificate) and the
// StandardAuthorizer, like Strimzi's `tls` listener with `simple` authorization. The services' own
// client (createKafka with the KAFKA_SASL_*/KAFKA_TLS* settings) connects as a KafkaUser of
// k8s/base/kafka/users.yaml with exactly its ACLs, and does what the service does.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka, ensureTopics } from './kafka';
import { silentLogger } from './logger';
import { EnvReader, readKafkaSecurity } from '@otl/platform';
import { evaluateInModules, repoRoot, stackServices } from '@otl/testing';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
  type Kafka,
} from 'kafkajs';
import { parseAllDocuments } from 'yaml';

let libs = '';
const { services, allTopics } = stackServices();
const work = mkdtempSync(join(tmpdir(), 'otl-kafka-auth-'));
const storePassword = randomBytes(12).toString('hex');
const passwords: Record<string, string> = { admin: randomBytes(12).toString('hex') };
let broker: ChildProcess | undefined;
let brokers = '';
const clients: Kafka[] = [];

interface KafkaUser {
  metadata: { name: string };
  spec: { authorization: { acls: { resource: { type: string; name: string }; operations: string[] }[] } };
}
const users = parseAllDocuments(readFileSync(join(repoRoot, 'k8s/base/kafka/users.yaml'), 'utf8')).map(
  (document) => document.toJS() as KafkaUser,
);
for (const user of users) passwords[user.metadata.name] = randomBytes(12).toString('hex');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A client exactly as a service builds it from its environment. */
function client(user: string, password = passwords[user] ?? ''): Kafka {
  const env = new EnvReader({
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: user,
    KAFKA_SASL_PASSWORD: password,
    KAFKA_TLS: 'true',
    KAFKA_TLS_CA_FILE: join(work, 'ca.pem'),
  });
  const security = readKafkaSecurity(env);
  env.done();
  const kafka = createKafka({
    brokers: [brokers],
    clientId: `k8s-auth-${user}`,
    logger: silentLogger,
    security,
  });
  clients.push(kafka);
  return kafka;
}

const aclOperation = (op: string) =>
  ({ Read: AclOperationTypes.READ, Write: AclOperationTypes.WRITE, Describe: AclOperationTypes.DESCRIBE })[
    op
  ] ??
  (() => {
    throw new Error(`unexpected operation ${op}`);
  })();

/** The ACLs of a KafkaUser, as the Strimzi User Operator would create them. */
function aclsOf(user: KafkaUser) {
  return user.spec.authorization.acls.flatMap((acl) =>
    acl.operations.map((operation) => ({
      resourceType: acl.resource.type === 'group' ? AclResourceTypes.GROUP : AclResourceTypes.TOPIC,
      resourceName: acl.resource.name,
      resourcePatternType: ResourcePatternTypes.LITERAL,
      principal: `User:${user.metadata.name}`,
      host: '*',
      operation: aclOperation(operation),
      permissionType: AclPermissionTypes.ALLOW,
    })),
  );
}

beforeAll(async () => {
  // The jars of the local broker (fetched once, also when TEST_INFRA=containers runs the rest).
  libs = evaluateInModules<string>(
    { kafka: 'tools/infra/kafka.mjs' },
    'return await kafka.ensureKafkaJars({ log: (line) => process.stderr.write(line + "\\n") });',
  );
  const keystore = join(work, 'broker.p12');
  const keytool = (args: string[]) => execFileSync('keytool', args, { stdio: 'pipe' });
  keytool([
    ...['-genkeypair', '-alias', 'broker', '-keyalg', 'EC', '-groupname', 'secp256r1', '-validity', '2'],
    ...['-dname', 'CN=127.0.0.1', '-ext', 'san=ip:127.0.0.1,dns:localhost', '-ext', 'bc=ca:true'],
    ...['-keystore', keystore, '-storetype', 'PKCS12', '-storepass', storePassword],
  ]);
  keytool([
    '-exportcert',
    '-rfc',
    '-alias',
    'broker',
    '-keystore',
    keystore,
    '-storepass',
    storePassword,
    '-file',
    join(work, 'ca.pem'),
  ]);

  const [port, internal, controller] = [await freePort(), await freePort(), await freePort()];
  brokers = `127.0.0.1:${port}`;
  const properties = join(work, 'server.properties');
  writeFileSync(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controller}`,
      `listeners=SASL_SSL://127.0.0.1:${port},INTERNAL://127.0.0.1:${internal},CONTROLLER://127.0.0.1:${controller}`,
      `advertised.listeners=SASL_SSL://127.0.0.1:${port},INTERNAL://127.0.0.1:${internal}`,
      'listener.security.protocol.map=SASL_SSL:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=INTERNAL',
      'controller.listener.names=CONTROLLER',
      'sasl.enabled.mechanisms=SCRAM-SHA-512',
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
      `ssl.keystore.location=${keystore}`,
      'ssl.keystore.type=PKCS12',
      `ssl.keystore.password=${storePassword}`,
      `ssl.key.password=${storePassword}`,
      'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      // The broker's own plaintext listeners (loopback only) and the admin are super users.
      'super.users=User:ANONYMOUS;User:admin',
      'allow.everyone.if.no.acl.found=false',
      `log.dirs=${join(work, 'kraft')}`,
      'auto.create.topics.enable=false',
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  const java = ['-cp', `${libs}/*`];
  execFileSync(
    'java',
    [
      ...java,
      'kafka.tools.StorageTool',
      'format',
      ...['--cluster-id', randomBytes(16).toString('base64url'), '--config', properties],
      ...Object.entries(passwords).flatMap(([name, password]) => [
        '--add-scram',
        `SCRAM-SHA-512=[name=${name},password=${password}]`,
      ]),
    ],
    { stdio: 'pipe' },
  );
  const out = openSync(join(work, 'broker.log'), 'a');
  broker = spawn('java', ['-Xms256m', '-Xmx256m', ...java, 'kafka.Kafka', properties], {
    stdio: ['ignore', out, out],
  });

  const admin = client('admin').admin();
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      await admin.connect();
      await admin.describeCluster();
      break;
    } catch (error) {
      if (Date.now() > deadline || broker.exitCode !== null)
        throw new Error(
          `Kafka did not start: ${readFileSync(join(work, 'broker.log'), 'utf8').slice(-3000)}`,
          {
            cause: error,
          },
        );
      await sleep(500);
    }
  }
  // What the KafkaTopics and the User Operator set up.
  await admin.createTopics({
    waitForLeaders: true,
    topics: allTopics.map((topic) => ({ topic, numPartitions: 1 })),
  });
  await admin.createAcls({ acl: users.flatMap(aclsOf) });
  await admin.disconnect();
  // One record on every topic, for the consumers below.
  const producer = client('admin').producer();
  await producer.connect();
  for (const topic of allTopics) await producer.send({ topic, messages: [{ key: 'seed', value: topic }] });
  await producer.disconnect();
}, 180_000);

afterAll(async () => {
  broker?.kill('SIGKILL');
  await new Promise((resolve) =>
    broker && broker.exitCode === null ? broker.once('exit', resolve) : resolve(null),
  );
  rmSync(work, { recursive: true, force: true });
  void clients;
});

const kafkaServices = services.filter((s) => s.produces.length > 0 || Object.keys(s.consumes).length > 0);

it('has a KafkaUser for every service that uses Kafka', () => {
  expect(users.map((user) => user.metadata.name).sort()).toEqual(kafkaServices.map((s) => s.name).sort());
});

describe.each(kafkaServices)('$name, as its KafkaUser, on the TLS + SCRAM-SHA-512 listener', (service) => {
  it('does all it does with Kafka: checks its topics, publishes, reads in its groups, parks on .dlq', async () => {
    const kafka = client(service.name);
    // Every topic it touches, with its .dlq, is visible to it (a forwarder checks the topics it is
    // given, e.g. tracking's are licenses.v1 and usage.v1), so it never tries to create one.
    await ensureTopics(kafka, [...service.topics, ...service.topics.map((t) => `${t}.dlq`)], 1);
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    for (const topic of service.produces)
      await producer.send({ topic, acks: -1, messages: [{ value: 'event' }] });
    for (const [groupId, topics] of Object.entries(service.consumes)) {
      const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: true });
      const seen = new Set<string>();
      await consumer.run({ autoCommit: false, eachMessage: async ({ topic }) => void seen.add(topic) });
      const deadline = Date.now() + 30_000;
      while (seen.size < topics.length && Date.now() < deadline) await sleep(100);
      await consumer.disconnect();
      expect([...seen].sort()).toEqual([...topics].sort());
      for (const topic of topics)
        await producer.send({ topic: `${topic}.dlq`, acks: -1, messages: [{ value: 'poison' }] });
    }
    await producer.disconnect();
  }, 90_000);
});

describe('a service on the TLS + SCRAM-SHA-512 listener, with the ACLs of its KafkaUser (license)', () => {
  it('finds its topics as its forwarder does, without trying to create them', async () => {
    await expect(
      ensureTopics(client('license'), ['licenses.v1', 'licenses.v1.dlq'], 1),
    ).resolves.toBeUndefined();
  });

  it('may not publish to a topic it does not produce', async () => {
    const producer = client('license').producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await expect(producer.send({ topic: 'usage.v1', acks: -1, messages: [{ value: 'x' }] })).rejects.toThrow(
      /Topic authorization failed/,
    );
    await producer.disconnect();
  }, 60_000);

  it('may not read with another consumer group', async () => {
    const consumer = client('license').consumer({
      groupId: 'tracking.licenses',
      maxWaitTimeInMs: 200,
      retry: { retries: 0 },
    });
    await consumer.connect();
    await consumer.subscribe({ topics: ['purchases.v1'], fromBeginning: true });
    const failed = new Promise<string>((resolve) =>
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        // The broker answers FindCoordinator with GROUP_AUTHORIZATION_FAILED, which kafkajs reports
        // as not finding the coordinator (its own group, in the test before, finds it).
        resolve(payload.error.message);
      }),
    );
    await consumer.run({ eachMessage: async () => undefined });
    await expect(failed).resolves.toBe('Failed to find group coordinator');
    await consumer.disconnect();
  }, 60_000);

  it('is refused with a wrong password', async () => {
    const admin = client('license', 'wrong').admin();
    await expect(admin.connect()).rejects.toThrow(
      /SASL SCRAM SHA512 authentication failed|Authentication failed/i,
    );
  });

  it('needs the Describe ACL on the .dlq of what it produces: without it, its forwarder cannot start', async () => {
    const admin = client('admin').admin();
    await admin.connect();
    await admin.deleteAcls({
      filters: [
        {
          resourceType: AclResourceTypes.TOPIC,
          resourceName: 'licenses.v1.dlq',
          resourcePatternType: ResourcePatternTypes.LITERAL,
          principal: 'User:license',
          host: '*',
          operation: AclOperationTypes.DESCRIBE,
          permissionType: AclPermissionTypes.ALLOW,
        },
      ],
    });
    await admin.disconnect();
    await sleep(500);
    // The topic exists but is invisible to it, so it tries to create it, which it may not.
    const failure = await ensureTopics(client('license'), ['licenses.v1', 'licenses.v1.dlq'], 1).then(
      () => undefined,
      (error: Error & { errors?: { type?: string }[] }) => error,
    );
    expect(failure?.message).toBe('Topic creation errors');
    expect(failure?.errors?.map((error) => error.type)).toEqual(['TOPIC_AUTHORIZATION_FAILED']);
  }, 60_000);
});
