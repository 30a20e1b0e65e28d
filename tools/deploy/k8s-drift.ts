import type { StackService } from '@otl/testing';
import type { K8sObject } from './k8s-tools';

/**
 * What a rendered overlay must say for tools/stack/services.mjs to hold on Kubernetes. Each
 * problem is one line; an empty list means k8s/ and services.mjs agree.
 */

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
  };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsNonRoot?: boolean;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    seccompProfile?: { type: string };
  };
  volumeMounts?: { name: string; mountPath: string }[];
  lifecycle?: { preStop?: { exec?: { command?: string[] } } };
}
interface PodSpec {
  containers: Container[];
  volumes?: { name: string; emptyDir?: object }[];
  securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type: string } };
}
interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: unknown[];
}
interface Peer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: { port?: number | string; protocol?: string }[];
}
interface Acl {
  resource: { type: string; name?: string; patternType?: string };
  operations: string[];
  type?: string;
  host?: string;
}

export const namespace = 'order-to-license';
export const usesKafka = (service: StackService) =>
  service.produces.length > 0 || Object.keys(service.consumes).length > 0;
const dlq = (topic: string) => `${topic}.dlq`;

/**
 * The ACLs a service needs, as `resource-type:name:operation`: Write on what it produces and on the
 * dead-letter topics of what it consumes, Read on what it consumes and on its consumer groups, and
 * Describe on the dead-letter topics of what it produces (its forwarder checks that every topic it
 * may publish to exists, with its .dlq, before it starts: ensureTopics in libs/event-store).
 */
export function expectedAcls(service: StackService): Set<string> {
  const read = [...new Set(Object.values(service.consumes).flat())];
  const write = [...new Set([...service.produces, ...read.map(dlq)])];
  const acls = new Set<string>();
  for (const topic of write) ['Write', 'Describe'].forEach((op) => acls.add(`topic:${topic}:${op}`));
  for (const topic of read) ['Read', 'Describe'].forEach((op) => acls.add(`topic:${topic}:${op}`));
  for (const topic of service.produces.map(dlq)) acls.add(`topic:${topic}:Describe`);
  for (const group of Object.keys(service.consumes)) acls.add(`group:${group}:Read`);
  return acls;
}

function matches(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  if (selector.matchExpressions?.length) throw new Error('matchExpressions are not evaluated by this check');
  return Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
}

function sameSet(a: Iterable<string>, b: Iterable<string>): { missing: string[]; extra: string[] } {
  const left = new Set(a);
  const right = new Set(b);
  return {
    missing: [...right].filter((x) => !left.has(x)).sort(),
    extra: [...left].filter((x) => !right.has(x)).sort(),
  };
}

/**
 * The access-token edges that services.mjs `calls` does not list: each verifier fetches the
 * issuer's JWKS (ACCESS_TOKEN_JWKS_URL, libs/auth). The issuer is the service holding
 * ACCESS_TOKEN_SIGNING_KEY; the verifiers are found in the apps' code by the spec.
 */
export function jwksCalls(
  services: StackService[],
  verifiers: string[],
): { from: string; to: string; url: string }[] {
  const issuer = services.find((service) => service.secrets?.['ACCESS_TOKEN_SIGNING_KEY']);
  if (!issuer) return [];
  return verifiers.map((from) => ({
    from,
    to: issuer.name,
    url: `http://${issuer.name}:${issuer.port}/.well-known/jwks.json`,
  }));
}

export function k8sDrift(
  objects: K8sObject[],
  services: StackService[],
  allTopics: string[],
  overlay: string,
  verifiers: string[],
): string[] {
  const problems: string[] = [];
  const problem = (message: string) => problems.push(`${overlay}: ${message}`);
  const of = <T = K8sObject>(kind: string) =>
    objects.filter((object) => object.kind === kind) as unknown as T[];
  const named = (kind: string, name: string) =>
    objects.find((o) => o.kind === kind && o.metadata.name === name);
  const byName = new Map(services.map((service) => [service.name, service]));
  const jwks = jwksCalls(services, verifiers);

  for (const object of objects) {
    if (object.kind !== 'Namespace' && object.metadata.namespace !== namespace)
      problem(`${object.kind}/${object.metadata.name} is not in namespace ${namespace}`);
  }

  // Kafka: the cluster, its TLS + SCRAM listener, the node pool and the bootstrap address.
  const kafka = of('Kafka')[0];
  const kafkaSpec = kafka?.spec as
    | {
        kafka: {
          listeners: { name: string; port: number; tls: boolean; authentication?: { type: string } }[];
          authorization?: { type: string };
          config?: Record<string, unknown>;
        };
      }
    | undefined;
  const listener = kafkaSpec?.kafka.listeners.find(
    (l) => l.tls && l.authentication?.type === 'scram-sha-512',
  );
  if (!kafka || !listener) problem('no Kafka with a TLS listener that authenticates with scram-sha-512');
  if (kafkaSpec?.kafka.authorization?.type !== 'simple') problem('Kafka authorization is not simple (ACLs)');
  const bootstrap = kafka && listener ? `${kafka.metadata.name}-kafka-bootstrap:${listener.port}` : '?';
  const brokers = of('KafkaNodePool')
    .filter((pool) => ((pool.spec?.['roles'] as string[]) ?? []).includes('broker'))
    .reduce((sum, pool) => sum + Number(pool.spec?.['replicas'] ?? 0), 0);
  const replication = overlay === 'prod' ? 3 : 1;
  if (brokers < replication) problem(`${brokers} Kafka brokers cannot hold ${replication} replicas`);
  for (const key of ['default.replication.factor', 'offsets.topic.replication.factor']) {
    if (Number(kafkaSpec?.kafka.config?.[key]) !== replication) problem(`Kafka ${key} is not ${replication}`);
  }

  // Topics: exactly allTopics, replicated as the overlay requires.
  const topics = of('KafkaTopic');
  const partitionsOf = new Map(
    topics.map((topic) => [
      String(topic.spec?.['topicName'] ?? topic.metadata.name),
      Number(topic.spec?.['partitions'] ?? 0),
    ]),
  );
  const topicNames = topics.map((topic) => String(topic.spec?.['topicName'] ?? topic.metadata.name));
  const topicDiff = sameSet(topicNames, allTopics);
  if (topicDiff.missing.length) problem(`KafkaTopic missing for ${topicDiff.missing.join(', ')}`);
  if (topicDiff.extra.length) problem(`KafkaTopic not in services.mjs: ${topicDiff.extra.join(', ')}`);
  for (const topic of topics) {
    const spec = topic.spec as { partitions?: number; replicas?: number; config?: Record<string, unknown> };
    const name = topic.metadata.name;
    if (topic.metadata.labels?.['strimzi.io/cluster'] !== kafka?.metadata.name)
      problem(`KafkaTopic ${name} does not name the Kafka cluster`);
    if (!spec.partitions) problem(`KafkaTopic ${name} has no partitions`);
    if (spec.replicas !== replication)
      problem(`KafkaTopic ${name} has replicas ${spec.replicas}, not ${replication}`);
    const minIsr = overlay === 'prod' ? 2 : 1;
    if (Number(spec.config?.['min.insync.replicas']) !== minIsr)
      problem(
        `KafkaTopic ${name} has min.insync.replicas ${String(spec.config?.['min.insync.replicas'])}, not ${minIsr}`,
      );
  }

  // Kafka users: one per Kafka service, none for others, ACLs exactly as produces/consumes imply.
  const users = of('KafkaUser');
  const userDiff = sameSet(
    users.map((user) => user.metadata.name),
    services.filter(usesKafka).map((service) => service.name),
  );
  if (userDiff.missing.length) problem(`KafkaUser missing for ${userDiff.missing.join(', ')}`);
  if (userDiff.extra.length)
    problem(`KafkaUser for no Kafka service of services.mjs: ${userDiff.extra.join(', ')}`);
  for (const user of users) {
    const service = byName.get(user.metadata.name);
    if (!service) continue;
    const spec = user.spec as {
      authentication?: { type: string };
      authorization?: { type: string; acls: Acl[] };
    };
    if (spec.authentication?.type !== 'scram-sha-512')
      problem(`KafkaUser ${user.metadata.name} is not scram-sha-512`);
    const actual = new Set<string>();
    for (const acl of spec.authorization?.acls ?? []) {
      if ((acl.type ?? 'allow') !== 'allow' || (acl.resource.patternType ?? 'literal') !== 'literal')
        problem(`KafkaUser ${user.metadata.name} has an ACL that is not a literal allow`);
      for (const op of acl.operations) actual.add(`${acl.resource.type}:${acl.resource.name ?? ''}:${op}`);
    }
    const aclDiff = sameSet(actual, expectedAcls(service));
    if (aclDiff.missing.length) problem(`KafkaUser ${service.name} lacks ACLs ${aclDiff.missing.join(', ')}`);
    if (aclDiff.extra.length)
      problem(`KafkaUser ${service.name} has ACLs beyond services.mjs: ${aclDiff.extra.join(', ')}`);
  }

  // PostgreSQL: the cluster, a managed role and a Database per service.
  const cluster = of('Cluster')[0];
  const clusterSpec = cluster?.spec as
    | {
        instances: number;
        managed?: {
          roles?: { name: string; login?: boolean; ensure?: string; passwordSecret?: { name: string } }[];
        };
        backup?: { barmanObjectStore?: { destinationPath?: string } };
      }
    | undefined;
  if (!cluster || !clusterSpec) problem('no CloudNativePG Cluster');
  const instances = overlay === 'prod' ? 3 : 1;
  if (clusterSpec && clusterSpec.instances !== instances)
    problem(`Cluster has ${clusterSpec.instances} instances, not ${instances}`);
  const backups = of('ScheduledBackup');
  if (overlay === 'prod') {
    if (!clusterSpec?.backup?.barmanObjectStore?.destinationPath)
      problem('Cluster has no object-store backup');
    if (!backups.some((b) => (b.spec?.['cluster'] as { name?: string })?.name === cluster?.metadata.name))
      problem('no ScheduledBackup of the Cluster');
  } else {
    if (clusterSpec?.backup) problem('Cluster has backups outside prod');
    if (backups.length) problem('ScheduledBackup outside prod');
  }
  const databases = of('Database');
  const dbDiff = sameSet(
    databases.map((database) => String(database.spec?.['name'])),
    services.map((service) => service.database),
  );
  if (dbDiff.missing.length) problem(`Database missing for ${dbDiff.missing.join(', ')}`);
  if (dbDiff.extra.length) problem(`Database not in services.mjs: ${dbDiff.extra.join(', ')}`);
  const roles = new Map((clusterSpec?.managed?.roles ?? []).map((role) => [role.name, role]));
  for (const service of services) {
    const database = databases.find((d) => d.spec?.['name'] === service.database);
    if (!database) continue;
    const owner = String(database.spec?.['owner']);
    if ((database.spec?.['cluster'] as { name?: string })?.name !== cluster?.metadata.name)
      problem(`Database ${service.database} is not on the Cluster`);
    const role = roles.get(owner);
    if (!role || role.login !== true || (role.ensure ?? 'present') !== 'present')
      problem(`Database ${service.database}: its owner ${owner} is not a managed login role`);
    else if (role.passwordSecret?.name !== `${service.name}-db`)
      problem(`role ${owner}: password secret is not ${service.name}-db`);
  }

  // The services: exactly one Deployment each, and nothing else of ours.
  const deploymentDiff = sameSet(
    of('Deployment').map((d) => d.metadata.name),
    services.map((s) => s.name),
  );
  if (deploymentDiff.missing.length) problem(`Deployment missing for ${deploymentDiff.missing.join(', ')}`);
  if (deploymentDiff.extra.length)
    problem(`Deployment not in services.mjs: ${deploymentDiff.extra.join(', ')}`);

  const podLabels = new Map<string, Record<string, string>>();
  for (const service of services) {
    const deployment = named('Deployment', service.name);
    if (!deployment) continue;
    const what = `Deployment ${service.name}`;
    const spec = deployment.spec as {
      replicas?: number;
      selector: LabelSelector;
      template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    };
    const labels = spec.template.metadata.labels;
    podLabels.set(service.name, labels);
    if (!matches(spec.selector, labels)) problem(`${what}: its selector does not match its pods`);
    const pod = spec.template.spec;
    if (pod.containers.length !== 1) problem(`${what}: expected one container`);
    const container = pod.containers[0];
    if (!/^([^/]+\/)*order-to-license(:[^/]+)?(@.+)?$/.test(container.image))
      problem(`${what}: image ${container.image} is not the order-to-license image`);
    if (JSON.stringify(container.args) !== JSON.stringify([service.name]))
      problem(`${what}: args ${JSON.stringify(container.args)} are not ["${service.name}"]`);
    const http = container.ports?.find((port) => port.name === 'http');
    if (http?.containerPort !== service.port) problem(`${what}: containerPort http is not ${service.port}`);
    const env = container.env ?? [];
    const envOf = (name: string) => env.find((variable) => variable.name === name);
    const indexOf = (name: string) => env.findIndex((variable) => variable.name === name);
    if (envOf('PORT')?.value !== String(service.port)) problem(`${what}: PORT is not ${service.port}`);

    const secretRef = (name: string) => envOf(name)?.valueFrom?.secretKeyRef;
    if (secretRef('DB_USER')?.name !== `${service.name}-db` || secretRef('DB_USER')?.key !== 'username')
      problem(`${what}: DB_USER is not the username of secret ${service.name}-db`);
    if (
      secretRef('DB_PASSWORD')?.name !== `${service.name}-db` ||
      secretRef('DB_PASSWORD')?.key !== 'password'
    )
      problem(`${what}: DB_PASSWORD is not the password of secret ${service.name}-db`);
    const url = envOf('DATABASE_URL')?.value ?? '';
    const expectedUrl = new RegExp(
      `^postgresql://\\$\\(DB_USER\\):\\$\\(DB_PASSWORD\\)@${cluster?.metadata.name}-rw:5432/${service.database}(\\?|$)`,
    );
    if (!expectedUrl.test(url)) problem(`${what}: DATABASE_URL ${url} is not ${expectedUrl}`);
    // $(VAR) expands only variables defined earlier in the list.
    if (!(indexOf('DB_USER') < indexOf('DATABASE_URL') && indexOf('DB_PASSWORD') < indexOf('DATABASE_URL')))
      problem(`${what}: DB_USER and DB_PASSWORD must come before DATABASE_URL`);

    if (usesKafka(service)) {
      if (envOf('KAFKA_BROKERS')?.value !== bootstrap) problem(`${what}: KAFKA_BROKERS is not ${bootstrap}`);
      if (envOf('KAFKA_SASL_MECHANISM')?.value !== 'scram-sha-512')
        problem(`${what}: KAFKA_SASL_MECHANISM is not scram-sha-512`);
      if (envOf('KAFKA_SASL_USERNAME')?.value !== service.name)
        problem(`${what}: KAFKA_SASL_USERNAME is not its KafkaUser`);
      if (
        secretRef('KAFKA_SASL_PASSWORD')?.name !== service.name ||
        secretRef('KAFKA_SASL_PASSWORD')?.key !== 'password'
      )
        problem(`${what}: KAFKA_SASL_PASSWORD is not the password of its KafkaUser's secret`);
      if (envOf('KAFKA_TLS')?.value !== 'true') problem(`${what}: KAFKA_TLS is not true`);
      // KAFKA_PARTITIONS is how many partitions a consumer handles at once: all its topics have.
      const consumed = Object.values(service.consumes).flat();
      const widest = Math.max(0, ...consumed.map((topic) => partitionsOf.get(topic) ?? 0));
      if (Number(envOf('KAFKA_PARTITIONS')?.value ?? 3) < widest)
        problem(`${what}: KAFKA_PARTITIONS is below the ${widest} partitions of a topic it consumes`);
    } else if (env.some((variable) => variable.name.startsWith('KAFKA_'))) {
      problem(`${what}: KAFKA_* set for a service that uses no Kafka`);
    }

    // HTTP calls: exactly the calls of services.mjs point at other services.
    const calls = Object.entries(service.calls ?? {});
    for (const [name, target] of calls) {
      const expected = `http://${target}:${byName.get(target)?.port}`;
      if (envOf(name)?.value !== expected) problem(`${what}: ${name} is not ${expected}`);
    }
    const tokens = jwks.find((edge) => edge.from === service.name);
    if (tokens && envOf('ACCESS_TOKEN_JWKS_URL')?.value !== tokens.url)
      problem(`${what}: ACCESS_TOKEN_JWKS_URL is not ${tokens.url}`);
    for (const variable of env) {
      const target = /^https?:\/\/([a-z0-9-]+)[:/]/.exec(variable.value ?? '')?.[1];
      const jwksVariable = variable.name === 'ACCESS_TOKEN_JWKS_URL' && tokens?.to === target;
      if (target && byName.has(target) && service.calls?.[variable.name] !== target && !jwksVariable)
        problem(`${what}: ${variable.name} calls ${target}, which services.mjs does not list in calls`);
    }
    // Secrets only by reference.
    for (const name of Object.keys(service.secrets ?? {})) {
      if (!secretRef(name)) problem(`${what}: ${name} is not a secretKeyRef`);
    }
    for (const variable of env) {
      if (/(SECRET|PASSWORD|_KEY)$/.test(variable.name) && variable.valueFrom?.secretKeyRef === undefined)
        problem(`${what}: ${variable.name} is not a secretKeyRef`);
    }

    // Probes, resources, hardening.
    const probePort = (probe?: { httpGet?: { port: string | number } }) =>
      probe?.httpGet?.port === 'http' || probe?.httpGet?.port === service.port;
    if (container.livenessProbe?.httpGet?.path !== '/health/live' || !probePort(container.livenessProbe))
      problem(`${what}: liveness probe is not GET /health/live`);
    if (container.readinessProbe?.httpGet?.path !== '/health/ready' || !probePort(container.readinessProbe))
      problem(`${what}: readiness probe is not GET /health/ready`);
    if (!container.startupProbe?.httpGet || !probePort(container.startupProbe))
      problem(`${what}: no HTTP startup probe`);
    if (!container.lifecycle?.preStop?.exec?.command?.length)
      problem(`${what}: no preStop hook (requests in flight would meet a closed server during a rollout)`);
    for (const kind of ['requests', 'limits'] as const) {
      for (const resource of ['cpu', 'memory']) {
        if (!container.resources?.[kind]?.[resource]) problem(`${what}: no ${resource} ${kind}`);
      }
    }
    const security = container.securityContext;
    if (
      security?.runAsNonRoot !== true ||
      security.readOnlyRootFilesystem !== true ||
      security.allowPrivilegeEscalation !== false ||
      JSON.stringify(security.capabilities?.drop) !== '["ALL"]' ||
      security.capabilities?.add?.length ||
      (security.seccompProfile ?? pod.securityContext?.seccompProfile)?.type !== 'RuntimeDefault'
    )
      problem(
        `${what}: container is not non-root, read-only, without capabilities and RuntimeDefault seccomp`,
      );
    const tmp = container.volumeMounts?.find((mount) => mount.mountPath === '/tmp');
    if (!tmp || !pod.volumes?.find((volume) => volume.name === tmp.name)?.emptyDir)
      problem(`${what}: no emptyDir on /tmp`);

    // Service, PDB, HPA, ServiceMonitor.
    const svc = named('Service', service.name);
    const svcSpec = svc?.spec as
      | {
          selector: Record<string, string>;
          ports: { name?: string; port: number; targetPort?: string | number }[];
        }
      | undefined;
    if (!svcSpec) problem(`Service missing for ${service.name}`);
    else {
      if (!matches({ matchLabels: svcSpec.selector }, labels))
        problem(`Service ${service.name} does not select its pods`);
      const port = svcSpec.ports.find((p) => p.name === 'http');
      if (port?.port !== service.port || !(port.targetPort === 'http' || port.targetPort === service.port))
        problem(`Service ${service.name}: port http is not ${service.port} to the container's http port`);
    }
    const pdb = named('PodDisruptionBudget', service.name);
    if (!pdb || !matches(pdb.spec?.['selector'] as LabelSelector, labels) || !pdb.spec?.['selector'])
      problem(`PodDisruptionBudget missing or not selecting ${service.name}`);
    const hpa = named('HorizontalPodAutoscaler', service.name);
    const hpaSpec = hpa?.spec as
      | { scaleTargetRef: { kind: string; name: string }; minReplicas?: number; maxReplicas: number }
      | undefined;
    if (hpaSpec?.scaleTargetRef.kind !== 'Deployment' || hpaSpec.scaleTargetRef.name !== service.name)
      problem(`HorizontalPodAutoscaler missing or not scaling Deployment ${service.name}`);
    else {
      const min = hpaSpec.minReplicas ?? 1;
      if (overlay === 'prod' && (min < 2 || hpaSpec.maxReplicas <= min))
        problem(`HorizontalPodAutoscaler ${service.name}: prod needs min >= 2 and max > min`);
      if (overlay === 'dev' && (min !== 1 || spec.replicas !== 1)) problem(`${what}: dev runs one replica`);
      if (spec.replicas !== undefined && spec.replicas < min)
        problem(`${what}: replicas below the HPA minimum`);
    }
    const monitor = named('ServiceMonitor', service.name);
    const monitorSpec = monitor?.spec as
      { selector: LabelSelector; endpoints: { port?: string; path?: string }[] } | undefined;
    if (
      !monitorSpec ||
      !svc ||
      !matches(monitorSpec.selector, svc.metadata.labels ?? {}) ||
      !monitorSpec.endpoints.some((endpoint) => endpoint.port === 'http' && endpoint.path === '/metrics')
    )
      problem(`ServiceMonitor missing or not scraping /metrics of Service ${service.name}`);
  }

  // NetworkPolicies: deny by default; app-to-app traffic exactly along services.mjs calls.
  const policies = of('NetworkPolicy');
  const denyAll = policies.some(
    (p) =>
      Object.keys((p.spec?.['podSelector'] as LabelSelector) ?? {}).length === 0 &&
      JSON.stringify([...((p.spec?.['policyTypes'] as string[]) ?? [])].sort()) === '["Egress","Ingress"]',
  );
  if (!denyAll) problem('no default-deny NetworkPolicy (podSelector {}, Ingress and Egress)');
  const appsSelectedBy = (selector: LabelSelector) =>
    [...podLabels].filter(([, labels]) => matches(selector, labels)).map(([name]) => name);
  const peerApps = (peer: Peer): string[] => {
    if (peer.ipBlock) return [...podLabels.keys()]; // pod addresses are inside any CIDR
    if (
      peer.namespaceSelector &&
      !matches(peer.namespaceSelector, { 'kubernetes.io/metadata.name': namespace })
    )
      return [];
    return appsSelectedBy(peer.podSelector ?? {});
  };
  const portsOf = (rule: Rule, app: string) => {
    const port = byName.get(app)?.port;
    return !rule.ports?.length || rule.ports.some((p) => p.port === port || p.port === 'http');
  };
  const ingressEdges = new Set<string>();
  const egressEdges = new Set<string>();
  for (const policy of policies) {
    const spec = policy.spec as {
      podSelector: LabelSelector;
      policyTypes: string[];
      ingress?: Rule[];
      egress?: Rule[];
    };
    const selected = appsSelectedBy(spec.podSelector);
    for (const app of selected) {
      for (const rule of spec.policyTypes.includes('Ingress') ? (spec.ingress ?? []) : []) {
        const peers = rule.from ? rule.from.flatMap(peerApps) : [...podLabels.keys()];
        for (const peer of peers) if (portsOf(rule, app)) ingressEdges.add(`${peer} -> ${app}`);
      }
      for (const rule of spec.policyTypes.includes('Egress') ? (spec.egress ?? []) : []) {
        const peers = rule.to ? rule.to.flatMap(peerApps) : [...podLabels.keys()];
        for (const peer of peers) if (portsOf(rule, peer)) egressEdges.add(`${app} -> ${peer}`);
      }
    }
  }
  // Egress to the infrastructure: Postgres for all, Kafka for its users only, SMTP for account.
  const egressTo = (app: string, labels: Record<string, string>, port: number) =>
    policies.some((policy) => {
      const spec = policy.spec as { podSelector: LabelSelector; policyTypes: string[]; egress?: Rule[] };
      return (
        spec.policyTypes.includes('Egress') &&
        matches(spec.podSelector, podLabels.get(app) ?? {}) &&
        (spec.egress ?? []).some(
          (rule) =>
            (!rule.ports?.length || rule.ports.some((p) => p.port === port)) &&
            (rule.to ?? [{}]).some(
              (peer) => !peer.namespaceSelector && (peer.ipBlock || matches(peer.podSelector, labels)),
            ),
        )
      );
    });
  const kafkaPods = { 'strimzi.io/cluster': kafka?.metadata.name ?? '?', 'strimzi.io/broker-role': 'true' };
  for (const service of services) {
    if (!podLabels.has(service.name)) continue;
    if (!egressTo(service.name, { 'cnpg.io/cluster': cluster?.metadata.name ?? '?' }, 5432))
      problem(`NetworkPolicy: ${service.name} cannot reach PostgreSQL`);
    if (egressTo(service.name, kafkaPods, listener?.port ?? 9093) !== usesKafka(service))
      problem(`NetworkPolicy: ${service.name} ${usesKafka(service) ? 'cannot' : 'can'} reach Kafka`);
    if (egressTo(service.name, {}, 587) !== (service.name === 'account'))
      problem(`NetworkPolicy: SMTP (587) egress must be account's alone, not ${service.name}'s`);
  }

  const callEdges = [
    ...services.flatMap((s) =>
      [...new Set(Object.values(s.calls ?? {}))]
        .filter((t) => podLabels.has(t))
        .map((t) => `${s.name} -> ${t}`),
    ),
    ...jwks.filter((edge) => podLabels.has(edge.from)).map((edge) => `${edge.from} -> ${edge.to}`),
  ];
  for (const [direction, edges] of [
    ['ingress', ingressEdges],
    ['egress', egressEdges],
  ] as const) {
    const diff = sameSet(edges, callEdges);
    if (diff.missing.length) problem(`NetworkPolicy ${direction} does not allow ${diff.missing.join(', ')}`);
    if (diff.extra.length)
      problem(`NetworkPolicy ${direction} allows calls not in services.mjs: ${diff.extra.join(', ')}`);
  }
  return problems;
}
