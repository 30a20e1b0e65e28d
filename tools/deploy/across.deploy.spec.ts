import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { repoRoot } from '@otl/testing';

// What the three ways to run the platform (npm start / npm test, docker-compose.yml, k8s/) must agree
// on beyond the service list (compose.deploy.spec.ts and k8s.deploy.spec.ts hold each to
// services.mjs): the image's user, the image's name and version, and the infrastructure versions.
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

interface Deployment {
  kind: string;
  metadata: { name: string };
  spec: {
    template: {
      spec: {
        securityContext?: { runAsUser?: number; runAsGroup?: number; runAsNonRoot?: boolean };
        containers: { name: string; image: string }[];
      };
    };
  };
}

const deployments: Deployment[] = readdirSync(join(repoRoot, 'k8s/base/services'))
  .filter((file) => file.endsWith('.yaml'))
  .flatMap((file) =>
    parseAllDocuments(read(`k8s/base/services/${file}`)).map((doc) => doc.toJS() as Deployment),
  )
  .filter((object) => object?.kind === 'Deployment');

const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, { image?: string }>;
};
const dockerfile = read('Dockerfile');

/** `USER uid:gid` of a Dockerfile stage. */
function userOf(stage: string): { uid: number; gid: number } {
  const start = dockerfile.search(new RegExp(`^FROM .* AS ${stage}$`, 'm'));
  const next = dockerfile.slice(start + 1).search(/^FROM /m);
  const body = dockerfile.slice(start, next < 0 ? undefined : start + 1 + next);
  const match = /^USER (\d+):(\d+)$/m.exec(body);
  if (!match) throw new Error(`the Dockerfile's ${stage} stage has no numeric USER uid:gid`);
  return { uid: Number(match[1]), gid: Number(match[2]) };
}

describe('the Dockerfile, docker-compose.yml and k8s/ agree', () => {
  it('finds a Deployment per service file to check', () => {
    expect(deployments.length).toBeGreaterThanOrEqual(7);
  });

  it("runs every pod as the image's own non-root user", () => {
    const { uid, gid } = userOf('app');
    expect(userOf('lts')).toEqual({ uid, gid });
    for (const deployment of deployments) {
      expect({
        name: deployment.metadata.name,
        ...deployment.spec.template.spec.securityContext,
      }).toMatchObject({
        name: deployment.metadata.name,
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: gid,
      });
    }
  });

  it('runs the one application image compose builds, at the version of package.json', () => {
    const { version } = JSON.parse(read('package.json')) as { version: string };
    const kustomization = parse(read('k8s/base/kustomization.yaml')) as {
      images: { name: string; newTag: string }[];
    };
    const appImages = new Set(
      Object.values(compose.services)
        .map((service) => service.image)
        .filter((image): image is string => image?.startsWith('order-to-license:') ?? false)
        .map((image) => image.split(':')[0]),
    );
    expect([...appImages]).toEqual(['order-to-license']);
    for (const deployment of deployments) {
      expect(deployment.spec.template.spec.containers.map((container) => container.image)).toEqual([
        'order-to-license',
      ]);
    }
    expect(kustomization.images).toContainEqual({ name: 'order-to-license', newTag: version });
  });

  it('uses the Kafka and PostgreSQL releases of the local stack in compose and the test containers', async () => {
    // The stack's modules are ES modules, which this CommonJS spec cannot import: their pins are read as text.
    const kafkaVersion = /export const KAFKA_VERSION = '([\d.]+)'/.exec(read('tools/infra/kafka.mjs'))?.[1];
    const containers = read('tools/infra/containers.mjs');
    const image = (name: string) => new RegExp(`${name}: '([^']+)'`).exec(containers)?.[1];
    const composeImages = Object.values(compose.services).map((service) => service.image ?? '');

    expect(kafkaVersion).toMatch(/^4\./);
    expect(composeImages).toContain(`apache/kafka:${kafkaVersion}`);
    expect(image('kafka')).toBe(`apache/kafka:${kafkaVersion}`);
    const postgres = composeImages.find((candidate) => candidate.startsWith('postgres:'));
    expect(postgres).toMatch(/^postgres:18\./);
    expect(image('postgres')).toBe(postgres);
    // CloudNativePG runs the same major (its own image build).
    expect(read('k8s/base/postgres/cluster.yaml')).toMatch(/imageName: \S+\/postgresql:18\./);
  });
});
