// The choice between local processes and containers for npm test's infrastructure, and what the specs
// get from either. tools/infra/*.mjs are ES modules and Jest runs specs as CommonJS: a child Node
// evaluates them and prints JSON.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateInModules, repoRoot } from '@otl/testing';

/** Runs `body` (an async function body) with the modules below imported; returns its JSON. */
function evaluate<T>(body: string): T {
  return evaluateInModules<T>({ t: 'tools/infra/test-infra.mjs', c: 'tools/infra/containers.mjs' }, body);
}

describe('TEST_INFRA, the choice of infrastructure (tools/infra/test-infra.mjs)', () => {
  type Outcome = { choice: string } | { error: string };
  const choose = (values: (string | null)[]): Outcome[] =>
    evaluate(
      `return ${JSON.stringify(values)}.map((value) => {
         try { return { choice: t.infraChoice(value === null ? {} : { TEST_INFRA: value }) }; }
         catch (error) { return { error: error.message }; }
       });`,
    );

  it('is local when unset or empty, and local or containers when named', () => {
    expect(choose([null, '', 'local', 'containers'])).toEqual([
      { choice: 'local' },
      { choice: 'local' },
      { choice: 'local' },
      { choice: 'containers' },
    ]);
  });

  it('refuses anything else, naming the value and both choices', () => {
    const outcomes = choose(['docker', 'Containers', ' containers', 'testcontainers']);
    for (const [index, value] of ['docker', 'Containers', ' containers', 'testcontainers'].entries()) {
      const outcome = outcomes[index] as { error: string };
      expect(outcome.error).toContain(`Unknown TEST_INFRA=${JSON.stringify(value)}`);
      expect(outcome.error).toMatch(/use local \(the default.*no Docker needed\) or containers/);
    }
  });
});

describe('the variables the specs get, from either infrastructure', () => {
  it('are exactly the same names for the local processes and for the containers', () => {
    const { keys, local, containers, localUrls } = evaluate<{
      keys: string[];
      local: Record<string, string>;
      containers: Record<string, string>;
      localUrls: Record<string, string>;
    }>(
      `// What startInfra (tools/stack/infra.mjs) gives with npm test's preferred ports.
       const localUrls = {
         adminUrl: 'postgres://postgres:postgres@127.0.0.1:55433/postgres',
         brokers: '127.0.0.1:19092',
         smtpUrl: 'smtp://127.0.0.1:11025',
         maildevUrl: 'http://127.0.0.1:11080',
       };
       const containerUrls = c.infraUrls({ host: 'localhost', postgresPort: 32768, kafkaPort: 32769, smtpPort: 32770, webPort: 32771 });
       return { keys: t.SPEC_ENV_KEYS, local: t.specEnv(localUrls), containers: t.specEnv(containerUrls), localUrls };`,
    );
    expect(Object.keys(local).sort()).toEqual([...keys].sort());
    expect(Object.keys(containers).sort()).toEqual(Object.keys(local).sort());
    expect(local['TEST_PG_ADMIN_URL']).toBe(localUrls['adminUrl']);
    expect(containers).toEqual({
      TEST_PG_ADMIN_URL: 'postgres://postgres:postgres@localhost:32768/postgres',
      KAFKA_BROKERS: 'localhost:32769',
      SMTP_URL: 'smtp://localhost:32770',
      MAILDEV_API_URL: 'http://localhost:32771',
    });
  });

  it('fail on a missing value rather than handing specs "undefined"', () => {
    const error = evaluate<string>(
      `try { t.specEnv({ adminUrl: 'postgres://a@b/postgres', brokers: '', smtpUrl: 'smtp://x', maildevUrl: 'http://x' }); return 'no error'; }
       catch (error) { return error.message; }`,
    );
    expect(error).toBe('The test infrastructure gave no KAFKA_BROKERS');
  });

  it('are built in one place in test.mjs, for both infrastructures', () => {
    const source = readFileSync(join(repoRoot, 'tools/stack/test.mjs'), 'utf8');
    const assignments = source.match(/\btestEnv = [^;]+;/g) ?? [];
    expect(assignments).toEqual(['testEnv = {};', 'testEnv = specEnv(infra);']); // declared, then set
    // And the one infra both branches fill is what specEnv reads.
    expect(source).toMatch(/infra = containers\s*\? await containers\.startContainers\(/);
  });
});

describe('npm test with TEST_INFRA set', () => {
  const runTest = (env: Record<string, string>, kinds: string[]) => {
    // test.mjs runs `npm ci` first when node_modules looks older than the lock file; a spec must not.
    const lock = statSync(join(repoRoot, 'package-lock.json')).mtimeMs;
    const installed = statSync(join(repoRoot, 'node_modules', '.package-lock.json')).mtimeMs;
    if (installed < lock) throw new Error('node_modules is older than package-lock.json: run npm ci first');
    const home = mkdtempSync(join(tmpdir(), 'otl-test-infra-'));
    try {
      const started = Date.now();
      const result = spawnSync(process.execPath, ['tools/stack/test.mjs', ...kinds], {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 60_000,
        // No ~/.testcontainers.properties, no ~/.docker sockets; DOCKER_HOST as given.
        env: {
          PATH: process.env['PATH'],
          HOME: home,
          XDG_RUNTIME_DIR: join(home, 'run'),
          NO_COLOR: '1',
          ...env,
        },
      });
      return { ...result, seconds: (Date.now() - started) / 1000 };
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  };

  it('fails at once with a clear error when TEST_INFRA=containers finds no Docker engine', () => {
    // A DOCKER_HOST socket that does not exist: no engine, on any machine (with or without Docker).
    const socket = join(tmpdir(), `otl-no-engine-${process.pid}.sock`);
    const result = runTest({ TEST_INFRA: 'containers', DOCKER_HOST: `unix://${socket}` }, ['int']);
    expect(result.status).toBe(1);
    expect(result.seconds).toBeLessThan(20); // before any build, pull or start
    expect(result.stdout.trim().split('\n').at(-1)).toBe('0 passed, 1 failed');
    expect(result.stderr).toContain('TEST_INFRA=containers needs a Docker engine, and none answered');
    expect(result.stderr).toContain(`DOCKER_HOST names ${socket}, which does not exist`);
    expect(result.stderr).toContain(`ConfigurationStrategy: DOCKER_HOST=unix://${socket} (not there)`);
    expect(result.stderr).toContain('UnixSocketStrategy: /var/run/docker.sock');
    expect(result.stderr).toContain('TEST_INFRA=local, runs Postgres, Kafka and MailDev as local processes');
    expect(result.stderr).toContain('needs no Docker');
    expect(result.stdout).not.toContain('=== Build ===');
  });

  it('refuses an unknown TEST_INFRA before doing anything (exit 2, like an unknown test kind)', () => {
    const result = runTest({ TEST_INFRA: 'docker' }, ['int']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('Unknown TEST_INFRA="docker"');
    expect(result.stdout).toBe('');
  });
});
