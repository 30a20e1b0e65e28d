// docker-compose.yml, checked offline: against the Compose Specification schema, and against
// tools/stack/services.mjs (every service, its port, database, secrets and calls; the topics; the
// databases). No Docker engine is needed or used.
import { execFileSync, spawnSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import { repoRoot, stackServices, type StackService } from '@otl/testing';
import { COMPOSE_GO_VERSION, composeCheck, composeSpecSchema } from './compose-tools';

/** Scratch folders of this file, removed when it is done. */
const scratch = mkdtempSync(join(tmpdir(), 'otl-deploy-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const tempDir = (prefix: string): string => mkdtempSync(join(scratch, prefix));

interface ComposeService {
  image?: string;
  build?: { context: string; target?: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  read_only?: boolean;
  tmpfs?: string[];
  volumes?: string[];
  profiles?: string[];
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}

const INFRA = ['postgres', 'kafka', 'kafka-init', 'maildev'];
/** Not in services.mjs on purpose: the tracking service in self-hosted mode, an opt-in profile. */
const OPTIONAL = ['lts'];

const composeText = readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8');
/** The file as Compose reads it: YAML merge keys (`<<: *app`) resolved. */
const loadCompose = (text = composeText) => parse(text, { merge: true }) as ComposeFile;
const compose = loadCompose();
const { services, allTopics } = stackServices();

/** Compose's `${NAME}` / `${NAME:-default}` / `${NAME:?message}`, with `$$` as a literal dollar. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-?])([^}]*))?\}/g, (match, name, op, arg) => {
    if (match === '$$') return '$';
    const set = env[name as string];
    if (set) return set;
    if (op === '-') return arg as string;
    throw new Error(`${name as string} is not set: ${arg as string}`);
  });
}

describe('docker-compose.yml against the Compose Specification schema', () => {
  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    // The schema itself is not written for Ajv's strictest checks on schemas (types beside
    // `properties`, `required` inside `anyOf`); the document is still held to every keyword.
    strictTypes: false,
    strictRequired: false,
  });
  const validate = ajv.compile(composeSpecSchema());

  it('is valid', () => {
    expect(validate(compose) ? [] : validate.errors).toEqual([]);
  });

  it('is still valid once every variable is filled in from a .env compose:env writes', () => {
    const dir = tempDir('compose-env-');
    const env = generatedEnv(dir);
    const filled = loadCompose(interpolate(composeText, env));
    expect(validate(filled) ? [] : validate.errors).toEqual([]);
  });

  it.each([
    [
      'a misspelt service key',
      (file: ComposeFile) => Object.assign(file.services.account, { helthcheck: {} }),
    ],
    [
      'an unknown depends_on condition',
      (file: ComposeFile) => {
        file.services.account.depends_on = { postgres: { condition: 'service_ready' } };
      },
    ],
    ['a top-level key the specification lacks', (file: ComposeFile) => Object.assign(file, { service: {} })],
    [
      'a misspelt health check setting',
      (file: ComposeFile) => Object.assign(file.services.kafka?.healthcheck ?? {}, { intervall: '5s' }),
    ],
    [
      'a service name Compose refuses',
      (file: ComposeFile) => Object.assign(file.services, { 'bad name': {} }),
    ],
  ])('rejects %s', (_what, mutate) => {
    const broken = loadCompose();
    mutate(broken);
    expect(validate(broken)).toBe(false);
  });
});

describe('docker-compose.yml loaded by compose-go, as Docker Compose loads it', () => {
  const load = (file: string, envFile: string, ...profiles: string[]) =>
    spawnSync(composeCheck(), [file, envFile, ...profiles], { cwd: repoRoot, encoding: 'utf8' });
  let envFile: string;
  beforeAll(() => {
    const dir = tempDir('compose-env-');
    generatedEnv(dir);
    envFile = join(dir, '.env');
  });

  it('builds against the compose-go the schema comes from', () => {
    const goMod = readFileSync(join(repoRoot, 'tools/deploy/compose-check/go.mod'), 'utf8');
    expect(goMod).toContain(`github.com/compose-spec/compose-go/v2 ${COMPOSE_GO_VERSION}`);
  });

  it('loads, with the lts profile too, every variable filled in from .env', () => {
    for (const profiles of [[], ['lts']]) {
      const result = load('docker-compose.yml', envFile, ...profiles);
      expect([result.status, result.stderr]).toEqual([0, '']);
      const project = JSON.parse(result.stdout) as { services: Record<string, ComposeService> };
      const expected = [
        ...INFRA,
        ...services.map((service) => service.name),
        ...(profiles.length ? OPTIONAL : []),
      ];
      expect(Object.keys(project.services).sort()).toEqual(expected.sort());
      expect(result.stdout).not.toContain('${');
    }
  });

  it('gives every service an environment its own configuration loader accepts', () => {
    const result = load('docker-compose.yml', envFile, 'lts');
    const project = JSON.parse(result.stdout) as {
      services: Record<string, { environment?: Record<string, string | null> }>;
    };
    const keys = join(tempDir('lts-keys-'), 'vendor-keys.jwks.json');
    /** The compiled loader of each service (as the image runs it) and what the image's ENV adds. */
    const loaders: Record<string, { file: string; call: string; extra?: Record<string, string> }> = {
      ...Object.fromEntries(
        services
          .filter((service) => service.name !== 'tracking')
          .map((service) => [
            service.name,
            { file: `apps/${service.name}/src/config.js`, call: 'loadConfig' },
          ]),
      ),
      tracking: { file: 'apps/tracking/src/hosted/config.js', call: 'loadHostedConfig' },
      lts: {
        file: 'apps/tracking/src/self-hosted/config.js',
        call: 'loadSelfHostedConfig',
        // The lts image's ENV, and the vendor keys compose:env writes (mounted at /etc/lts in compose).
        extra: {
          LTS_MODE: 'self-hosted',
          LTS_DATA_DIR: tempDir('lts-data-'),
          PORT: '3106',
          LTS_VENDOR_KEYS_FILE: keys,
        },
      },
    };
    const licenseKey = project.services.license?.environment?.LICENSE_SIGNING_KEY ?? '';
    const jwk = createPublicKey(Buffer.from(licenseKey, 'base64').toString('utf8')).export({ format: 'jwk' });
    writeFileSync(keys, JSON.stringify({ keys: [{ ...jwk, kid: 'compose', alg: 'EdDSA', use: 'sig' }] }));
    for (const [name, loader] of Object.entries(loaders)) {
      const env = { ...project.services[name]?.environment, ...loader.extra };
      const script =
        `const { ${loader.call} } = require('./dist/out-tsc/${loader.file}');` +
        `${loader.call}(JSON.parse(require('node:fs').readFileSync(0, 'utf8')));`;
      const run = spawnSync(process.execPath, ['-r', './tools/runtime/register-aliases.cjs', '-e', script], {
        cwd: repoRoot,
        input: JSON.stringify(env),
        encoding: 'utf8',
      });
      expect([name, run.status, run.stderr]).toEqual([name, 0, '']);
    }
  });

  it('refuses to start without the secrets, saying how to make them', () => {
    const empty = join(tempDir('compose-env-'), '.env');
    writeFileSync(empty, '');
    const result = load('docker-compose.yml', empty);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'required variable POSTGRES_PASSWORD is missing a value: run npm run compose:env',
    );
  });

  it('catches what the schema cannot: depends_on naming a service that does not exist', () => {
    const dir = tempDir('compose-bad-');
    const file = join(dir, 'docker-compose.yml');
    writeFileSync(
      file,
      composeText.replace(
        '      maildev:\n        condition: service_healthy',
        '      mailhog:\n        condition: service_healthy',
      ),
    );
    const result = load(file, envFile);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('service "account" depends on undefined service "mailhog"');
  });
});

/** Runs tools/deploy/compose-env.mjs's writer into `dir`/.env and returns what it holds. */
function generatedEnv(dir: string): Record<string, string> {
  const file = join(dir, '.env');
  const script =
    "const { writeComposeEnv } = await import('./tools/deploy/compose-env.mjs');" +
    `process.stdout.write(JSON.stringify(writeComposeEnv(${JSON.stringify(file)}).secrets));`;
  return JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: repoRoot,
      encoding: 'utf8',
    }),
  ) as Record<string, string>;
}

describe('docker-compose.yml matches tools/stack/services.mjs', () => {
  const appNames = Object.keys(compose.services).filter(
    (name) => !INFRA.includes(name) && !OPTIONAL.includes(name),
  );

  it('has exactly the services of services.mjs, besides the infrastructure', () => {
    expect(appNames.sort()).toEqual(services.map((service) => service.name).sort());
  });

  describe.each(services.map((service) => [service.name, service] as [string, StackService]))(
    '%s',
    (name, service) => {
      const entry = (): ComposeService => {
        const found = compose.services[name];
        if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
        return found;
      };
      const env = (): Record<string, string> =>
        Object.fromEntries(
          Object.entries(entry().environment ?? {}).map(([key, value]) => [key, String(value)]),
        );

      it('runs the application image with its own name as the command', () => {
        expect(entry().image).toBe('order-to-license:local');
        expect(entry().build).toEqual({ context: '.', target: 'app' });
        expect(entry().command).toEqual([name]);
      });

      it('listens on its port, published on the same host port', () => {
        expect(env().PORT).toBe(String(service.port));
        expect(entry().ports).toEqual([`127.0.0.1:${service.port}:${service.port}`]);
      });

      it('uses its own database', () => {
        const url = new URL(interpolate(env().DATABASE_URL ?? '', { POSTGRES_PASSWORD: 'x' }));
        expect(`${url.protocol}//${url.host}${url.pathname}`).toBe(
          `postgres://postgres:5432/${service.database}`,
        );
        expect(env().DATABASE_URL).toContain('${POSTGRES_PASSWORD:?');
      });

      it('gets the Kafka brokers exactly when it has topics', () => {
        expect(env().KAFKA_BROKERS).toBe(service.topics.length > 0 ? 'kafka:9092' : undefined);
      });

      it('gets each of its secrets from .env, required', () => {
        const secretNames = Object.keys(service.secrets ?? {});
        for (const secret of secretNames)
          expect(env()[secret]).toMatch(new RegExp(`^\\$\\{${secret}:\\?.+\\}$`));
        // …and no other service's secret.
        const others = services
          .filter((other) => other !== service)
          .flatMap((other) => Object.keys(other.secrets ?? {}));
        for (const secret of others.filter((other) => !secretNames.includes(other)))
          expect(env()[secret]).toBeUndefined();
      });

      it('reaches the services it calls by their compose names, and starts after them', () => {
        // Service-to-service URLs (host = a compose service); PORTAL_URL and the like are public.
        const internal = ([key, value]: [string, string]) =>
          key.endsWith('_URL') &&
          /^http:\/\/[a-z-]+:\d+$/.test(value) &&
          new URL(value).hostname in compose.services;
        const urls = Object.fromEntries(Object.entries(env()).filter(internal));
        const expected = Object.fromEntries(
          Object.entries(service.calls ?? {}).map(([variable, target]) => {
            const port = services.find((candidate) => candidate.name === target)?.port;
            return [variable, `http://${target}:${port}`];
          }),
        );
        expect(urls).toEqual(expected);
        for (const target of Object.values(service.calls ?? {}))
          expect(entry().depends_on?.[target]).toEqual({ condition: 'service_healthy' });
      });

      it('waits for healthy infrastructure and the created topics', () => {
        expect(entry().depends_on?.postgres).toEqual({ condition: 'service_healthy' });
        expect(entry().depends_on?.['kafka-init']).toEqual(
          service.topics.length > 0 ? { condition: 'service_completed_successfully' } : undefined,
        );
      });

      it('runs with a read-only root file system, /tmp on tmpfs, and a health check', () => {
        expect(entry().read_only).toBe(true);
        expect(entry().tmpfs).toEqual(['/tmp']);
        expect(entry().healthcheck?.test).toEqual(['CMD', 'node', 'tools/runtime/healthcheck.cjs']);
      });
    },
  );

  it('points every access-token verifier at the account service JWKS', () => {
    // license, tracking and po-intake read ACCESS_TOKEN_JWKS_URL (libs/auth); its default is loopback.
    for (const name of ['license', 'tracking', 'po-intake'])
      expect(compose.services[name]?.environment?.ACCESS_TOKEN_JWKS_URL).toBe(
        `http://account:${services.find((service) => service.name === 'account')?.port}/.well-known/jwks.json`,
      );
  });

  it('creates exactly the topics of services.mjs, with the partitions npm start uses', () => {
    const job = compose.services['kafka-init'];
    expect(String(job?.environment?.TOPICS).split(/\s+/).sort()).toEqual([...allTopics].sort());
    expect(String(job?.environment?.PARTITIONS)).toBe('3');
    expect(job?.command?.join('\n')).toContain('--topic "$$topic" --partitions "$$PARTITIONS"');
    expect(job?.depends_on?.kafka).toEqual({ condition: 'service_healthy' });
  });

  it('creates exactly the databases of services.mjs on first start', () => {
    const sql = readFileSync(join(repoRoot, 'tools/deploy/compose-postgres-init.sql'), 'utf8');
    const created = [...sql.matchAll(/^CREATE DATABASE ([a-z_]+);$/gm)].map((match) => match[1]);
    expect(created.sort()).toEqual(services.map((service) => service.database).sort());
    expect(compose.services.postgres?.volumes).toContain(
      './tools/deploy/compose-postgres-init.sql:/docker-entrypoint-initdb.d/10-databases.sql:ro',
    );
  });

  it('gives every long-running container a health check', () => {
    for (const [name, entry] of Object.entries(compose.services)) {
      if (name === 'kafka-init') continue; // a one-shot job: its exit status is its check
      expect([name, entry.healthcheck?.test?.[0]]).toEqual([name, 'CMD']);
    }
  });

  it('pins every image by version and uses the official Kafka and PostgreSQL 18 images', () => {
    for (const [name, entry] of Object.entries(compose.services))
      expect([name, entry.image]).toEqual([
        name,
        expect.stringMatching(/^[a-z0-9./-]+:(local|\d+(\.\d+)+[a-z0-9.-]*)$/),
      ]);
    expect(compose.services.kafka?.image).toMatch(/^apache\/kafka:4\.\d+\.\d+$/);
    expect(compose.services.postgres?.image).toMatch(/^postgres:18\.\d+/);
  });

  it('keeps data in named volumes', () => {
    expect(Object.keys(compose.volumes).sort()).toEqual(['kafka-data', 'lts-data', 'postgres-data']);
  });
});

describe('secrets: .env (not committed), .env.example, npm run compose:env', () => {
  const referenced = [...composeText.matchAll(/\$\{([A-Z_0-9]+):\?/g)].map((match) => match[1] as string);
  const example = readFileSync(join(repoRoot, '.env.example'), 'utf8');

  it('requires, and documents in .env.example, every secret of services.mjs and the database password', () => {
    const secrets = [
      'POSTGRES_PASSWORD',
      ...services.flatMap((service) => Object.keys(service.secrets ?? {})),
    ];
    expect([...new Set(referenced)].sort()).toEqual([...secrets].sort());
    for (const secret of secrets) expect(example).toMatch(new RegExp(`^${secret}=$`, 'm'));
  });

  it('never commits .env', () => {
    expect(execFileSync('git', ['check-ignore', '.env'], { cwd: repoRoot, encoding: 'utf8' }).trim()).toBe(
      '.env',
    );
  });

  it('compose:env generates every required secret once and keeps what is there', () => {
    const dir = tempDir('compose-env-');
    writeFileSync(join(dir, '.env'), 'POSTGRES_PASSWORD=kept0123\n');
    const first = generatedEnv(dir);
    expect(first.POSTGRES_PASSWORD).toBe('kept0123');
    for (const name of new Set(referenced)) expect(first[name]).toBeTruthy();
    expect(first.PORTAL_SESSION_KEY).toMatch(/^[0-9a-f]{64}$/);
    expect(generatedEnv(dir)).toEqual(first);
    // Every value survives Compose's interpolation unchanged (no `$` in it).
    for (const value of Object.values(first)) expect(value).not.toContain('$');
  });
});
