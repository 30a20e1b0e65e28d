import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, stackServices, type StackService } from '@otl/testing';
import { expectedAcls, k8sDrift } from './k8s-drift';
import { crdToJsonSchema, K8sValidator } from './k8s-schemas';
import {
  cloudnativePgCrds,
  kubernetesSchemaDir,
  kustomizeBinary,
  overlays,
  prometheusOperatorCrds,
  render,
  strimziCrds,
  type K8sObject,
} from './k8s-tools';

// k8s/ rendered by kustomize, every object checked against its schema (core kinds and the Strimzi,
// CloudNativePG and prometheus-operator CRDs, strictly), and against tools/stack/services.mjs.
// The tools and schemas are fetched on first use (see k8s-tools.ts), which may take minutes.

const { services, allTopics } = stackServices();

/** The services whose code verifies access tokens (and so fetches the account service's JWKS). */
function tokenVerifiers(): string[] {
  return services
    .map((service) => service.name)
    .filter((name) => {
      const dir = join(repoRoot, 'apps', name, 'src');
      const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(
        (file) => file.endsWith('.ts') && !file.includes('.spec.'),
      );
      return files.some((file) =>
        readFileSync(join(dir, file), 'utf8').includes('readAccessTokenVerifierConfig('),
      );
    });
}
const verifiers = tokenVerifiers();
let validator: K8sValidator;
const rendered = new Map<string, K8sObject[]>();

beforeAll(() => {
  kustomizeBinary();
  validator = new K8sValidator(kubernetesSchemaDir(), [
    ...strimziCrds(),
    ...cloudnativePgCrds(),
    ...prometheusOperatorCrds(),
  ]);
  for (const overlay of overlays) rendered.set(overlay, render(overlay));
}, 20 * 60_000);

const objectsOf = (overlay: string) => structuredClone(rendered.get(overlay) ?? []);
const find = (objects: K8sObject[], kind: string, name?: string) => {
  const object = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!object) throw new Error(`no ${kind} ${name ?? ''}`);
  return object;
};

it('has the dev and prod overlays', () => {
  expect(overlays).toEqual(['dev', 'prod']);
});

describe.each(['dev', 'prod'])('overlay %s', (overlay) => {
  it('renders, and every object is valid against its schema', () => {
    const objects = objectsOf(overlay);
    expect(objects.length).toBeGreaterThan(50);
    expect(objects.flatMap((object) => validator.errors(object))).toEqual([]);
  });

  it('validates the Strimzi, CloudNativePG and prometheus-operator kinds against their CRDs', () => {
    const custom = new Set(
      objectsOf(overlay)
        .filter((o) => validator.isCustom(o))
        .map((o) => o.kind),
    );
    const expected = [
      'Kafka',
      'KafkaNodePool',
      'KafkaTopic',
      'KafkaUser',
      'Cluster',
      'Database',
      'ServiceMonitor',
    ];
    expect([...custom].sort()).toEqual(
      [...expected, ...(overlay === 'prod' ? ['ScheduledBackup'] : [])].sort(),
    );
  });

  it('agrees with tools/stack/services.mjs', () => {
    expect(k8sDrift(objectsOf(overlay), services, allTopics, overlay, verifiers)).toEqual([]);
  });

  it('commits no secret: every Secret is referenced, none is rendered', () => {
    expect(objectsOf(overlay).filter((o) => o.kind === 'Secret')).toEqual([]);
  });
});

describe('the schema checks fail on a wrong field', () => {
  const cases: [string, (objects: K8sObject[]) => K8sObject, RegExp][] = [
    [
      'a misspelt probe field in a Deployment (core, strict)',
      (objects) => {
        const deployment = find(objects, 'Deployment', 'account');
        const spec = deployment.spec as { template: { spec: { containers: Record<string, unknown>[] } } };
        spec.template.spec.containers[0]['livenessProbe'] = {
          httpGett: { path: '/health/live', port: 'http' },
        };
        return deployment;
      },
      /Deployment\/account: \/spec\/template\/spec\/containers\/0\/livenessProbe must NOT have additional properties \(httpGett\)/,
    ],
    [
      'a port that is not a number in a Service',
      (objects) => {
        const service = find(objects, 'Service', 'license');
        (service.spec as { ports: { port: unknown }[] }).ports[0].port = 'http';
        return service;
      },
      /Service\/license: \/spec\/ports\/0\/port must be integer/,
    ],
    [
      'an unknown ACL operation in a KafkaUser (Strimzi CRD)',
      (objects) => {
        const user = find(objects, 'KafkaUser', 'license');
        (
          user.spec as { authorization: { acls: { operations: string[] }[] } }
        ).authorization.acls[0].operations = ['Writ'];
        return user;
      },
      /KafkaUser\/license: \/spec\/authorization\/acls\/0\/operations\/0 must be equal to one of the allowed values/,
    ],
    [
      'a misspelt field in a Kafka listener (Strimzi CRD, strict)',
      (objects) => {
        const kafka = find(objects, 'Kafka');
        (kafka.spec as { kafka: { listeners: Record<string, unknown>[] } }).kafka.listeners[0][
          'authenticaton'
        ] = {};
        return kafka;
      },
      /Kafka\/otl-kafka: \/spec\/kafka\/listeners\/0 must NOT have additional properties \(authenticaton\)/,
    ],
    [
      'a misspelt field in a CloudNativePG Cluster',
      (objects) => {
        const cluster = find(objects, 'Cluster');
        (cluster.spec as Record<string, unknown>)['instancess'] = 3;
        return cluster;
      },
      /Cluster\/otl-postgres: \/spec must NOT have additional properties \(instancess\)/,
    ],
    [
      'a Database without its owner (CloudNativePG CRD, required)',
      (objects) => {
        const database = find(objects, 'Database', 'account');
        delete (database.spec as Record<string, unknown>)['owner'];
        return database;
      },
      /Database\/account: \/spec must have required property 'owner'/,
    ],
    [
      'a misspelt endpoint field in a ServiceMonitor',
      (objects) => {
        const monitor = find(objects, 'ServiceMonitor', 'portal');
        (monitor.spec as { endpoints: Record<string, unknown>[] }).endpoints[0]['pathh'] = '/metrics';
        return monitor;
      },
      /ServiceMonitor\/portal: \/spec\/endpoints\/0 must NOT have additional properties \(pathh\)/,
    ],
    [
      'an unknown metadata field on a custom resource (ObjectMeta)',
      (objects) => {
        const topic = find(objects, 'KafkaTopic', 'purchases.v1');
        (topic.metadata as Record<string, unknown>)['label'] = { a: 'b' };
        return topic;
      },
      /KafkaTopic\/purchases\.v1: \/metadata must NOT have additional properties \(label\)/,
    ],
  ];
  it.each(cases)('%s', (_, mutate, error) => {
    const object = mutate(objectsOf('prod'));
    expect(validator.errors(object)).toContainEqual(expect.stringMatching(error));
  });

  it('refuses a kind it has no schema for', () => {
    const object = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } } as K8sObject;
    expect(() => validator.errors(object)).toThrow(/no schema for example.com\/v1\/Widget/);
  });
});

describe('the CRD conversion', () => {
  it('closes objects that do not keep unknown fields, and keeps int-or-string, nullable and exclusive bounds', () => {
    expect(
      crdToJsonSchema({
        type: 'object',
        description: 'dropped',
        properties: {
          size: { 'x-kubernetes-int-or-string': true },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          maybe: { type: 'string', nullable: true },
          ratio: { type: 'number', minimum: 0, exclusiveMinimum: true },
        },
        oneOf: [{ required: ['size'] }, { properties: { free: {} }, required: ['free'] }],
      }),
    ).toEqual({
      type: 'object',
      additionalProperties: false,
      properties: {
        size: { anyOf: [{ type: 'integer' }, { type: 'string' }] },
        free: { type: 'object' },
        maybe: { type: ['string', 'null'] },
        ratio: { type: 'number', exclusiveMinimum: 0 },
      },
      oneOf: [{ required: ['size'] }, { properties: { free: {} }, required: ['free'] }],
    });
  });
});

describe('the services.mjs checks fail on drift', () => {
  const drift = (
    objects: K8sObject[],
    list: StackService[] = services,
    topics = allTopics,
    jwks = verifiers,
  ) => k8sDrift(objects, list, topics, 'prod', jwks);
  const extra: StackService = {
    name: 'billing-export',
    port: 3107,
    database: 'billing_export',
    main: 'dist/out-tsc/apps/billing-export/src/main.js',
    topics: ['usage.v1'],
    produces: [],
    consumes: { 'billing-export.usage': ['usage.v1'] },
  };

  it('when services.mjs gains a service that k8s/ lacks', () => {
    const problems = drift(objectsOf('prod'), [...services, extra]).join('\n');
    expect(problems).toMatch(/Deployment missing for billing-export/);
    expect(problems).toMatch(/KafkaUser missing for billing-export/);
    expect(problems).toMatch(/Database missing for billing_export/);
  });

  it('when k8s/ has a service that services.mjs lacks', () => {
    const problems = drift(
      objectsOf('prod'),
      services.filter((s) => s.name !== 'po-intake'),
    ).join('\n');
    expect(problems).toMatch(/Deployment not in services.mjs: po-intake/);
    expect(problems).toMatch(/KafkaUser for no Kafka service of services.mjs: po-intake/);
    expect(problems).toMatch(/Database not in services.mjs: po_intake/);
  });

  it('when a port, a call, a topic or an ACL differs', () => {
    const changed = services.map((s) =>
      s.name === 'license'
        ? { ...s, port: 3205 }
        : s.name === 'portal'
          ? { ...s, calls: { ...s.calls, RESELLER_URL: 'reseller-intake' } }
          : s,
    );
    const objects = objectsOf('prod');
    const user = find(objects, 'KafkaUser', 'account');
    (user.spec as { authorization: { acls: { operations: string[] }[] } }).authorization.acls.pop();
    const problems = drift(objects, changed, [...allTopics, 'refunds.v1']).join('\n');
    expect(problems).toMatch(/Deployment license: containerPort http is not 3205/);
    expect(problems).toMatch(/Deployment portal: RESELLER_URL is not http:\/\/reseller-intake:3103/);
    expect(problems).toMatch(/NetworkPolicy ingress does not allow .*portal -> reseller-intake/);
    expect(problems).toMatch(/KafkaTopic missing for refunds.v1/);
    expect(problems).toMatch(/KafkaUser account lacks ACLs/);
  });

  it('when a NetworkPolicy lets one service reach another it does not call', () => {
    const objects = objectsOf('prod');
    const policy = find(objects, 'NetworkPolicy', 'license');
    (policy.spec as { ingress: { from: unknown[] }[] }).ingress[0].from.push({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'store-webhook' } },
    });
    expect(drift(objects)).toContainEqual(
      expect.stringMatching(/ingress allows calls not in services.mjs: store-webhook -> license/),
    );
  });

  it('when a secret is given as a literal value', () => {
    const objects = objectsOf('prod');
    const deployment = find(objects, 'Deployment', 'store-webhook');
    const env = (
      deployment.spec as { template: { spec: { containers: { env: Record<string, unknown>[] }[] } } }
    ).template.spec.containers[0].env;
    const secret = env.find((variable) => variable['name'] === 'STORE_WEBHOOK_SECRET');
    if (!secret) throw new Error('no STORE_WEBHOOK_SECRET');
    delete secret['valueFrom'];
    secret['value'] = 'whsec_committed';
    expect(drift(objects)).toContainEqual(
      expect.stringMatching(/STORE_WEBHOOK_SECRET is not a secretKeyRef/),
    );
  });

  it('when a consumer handles fewer partitions at once than its topics have, or has no preStop hook', () => {
    const objects = objectsOf('prod');
    const container = (
      find(objects, 'Deployment', 'account').spec as {
        template: { spec: { containers: { env: Record<string, unknown>[]; lifecycle?: unknown }[] } };
      }
    ).template.spec.containers[0];
    const partitions = container.env.find((variable) => variable['name'] === 'KAFKA_PARTITIONS');
    if (!partitions) throw new Error('no KAFKA_PARTITIONS');
    partitions['value'] = '3';
    delete container.lifecycle;
    expect(drift(objects)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/account: KAFKA_PARTITIONS is below the 64 partitions/),
        expect.stringMatching(/account: no preStop hook/),
      ]),
    );
  });

  it('when prod topics are not replicated three times', () => {
    const objects = objectsOf('prod');
    (find(objects, 'KafkaTopic', 'usage.v1').spec as { replicas: number }).replicas = 1;
    expect(drift(objects)).toContainEqual(expect.stringMatching(/KafkaTopic usage.v1 has replicas 1, not 3/));
  });

  it('when a service that verifies access tokens is not given the JWKS of account, or may not reach it', () => {
    expect(drift(objectsOf('prod'), services, allTopics, [...verifiers, 'reseller-intake'])).toEqual([
      'prod: Deployment reseller-intake: ACCESS_TOKEN_JWKS_URL is not http://account:3104/.well-known/jwks.json',
      'prod: NetworkPolicy ingress does not allow reseller-intake -> account',
      'prod: NetworkPolicy egress does not allow reseller-intake -> account',
    ]);
  });

  it('finds the services that fetch the JWKS of account', () => {
    expect(verifiers.sort()).toEqual(['license', 'po-intake', 'tracking']);
  });

  it('derives the ACLs from produces and consumes', () => {
    const license = services.find((s) => s.name === 'license');
    if (!license) throw new Error('no license service');
    expect([...expectedAcls(license)].sort()).toEqual(
      [
        'group:license.purchases:Read',
        'topic:accounts.v1.dlq:Describe',
        'topic:accounts.v1.dlq:Write',
        'topic:accounts.v1:Describe',
        'topic:accounts.v1:Read',
        'topic:licenses.v1.dlq:Describe',
        'topic:licenses.v1:Describe',
        'topic:licenses.v1:Write',
        'topic:purchases.v1.dlq:Describe',
        'topic:purchases.v1.dlq:Write',
        'topic:purchases.v1:Describe',
        'topic:purchases.v1:Read',
      ].sort(),
    );
  });
});
