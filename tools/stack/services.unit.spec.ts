import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allTopics as contractTopics, dlqTopicOf } from '@otl/contracts';
import { repoRoot, stackServices } from '@otl/testing';

const root = repoRoot;
const { services, allTopics: topics } = stackServices();

describe('tools/stack/services.mjs, the one list compose, k8s and the stack are checked against', () => {
  it('gives every service its own name, port and database', () => {
    for (const key of ['name', 'port', 'database'] as const) {
      const values = services.map((service) => service[key]);
      expect(new Set(values).size).toBe(values.length);
    }
  });

  it('lists as topics exactly what each service produces and consumes, all of them contract topics', () => {
    for (const service of services) {
      const used = new Set([...service.produces, ...Object.values(service.consumes).flat()]);
      expect({ name: service.name, topics: [...service.topics].sort() }).toEqual({
        name: service.name,
        topics: [...used].sort(),
      });
      for (const topic of used) expect(contractTopics).toContain(topic);
    }
  });

  it('has a producer for every topic that is consumed, and a consumer group of one service only', () => {
    const produced = new Set(services.flatMap((service) => service.produces));
    const groups = services.flatMap((service) => Object.keys(service.consumes));
    expect(new Set(groups).size).toBe(groups.length);
    for (const service of services) {
      for (const topic of Object.values(service.consumes).flat()) expect(produced).toContain(topic);
    }
  });

  it('names the consumer group each service defaults to in its configuration', () => {
    for (const service of services) {
      for (const group of Object.keys(service.consumes)) {
        const configs = [`apps/${service.name}/src/config.ts`, `apps/${service.name}/src/hosted/config.ts`];
        const source = configs.map((file) => readIfExists(join(root, file))).join('\n');
        expect({ service: service.name, mentioned: source.includes(`default: '${group}'`) }).toEqual({
          service: service.name,
          mentioned: true,
        });
      }
    }
  });

  it('calls only services it lists, through variables the calling service reads', () => {
    const names = new Set(services.map((service) => service.name));
    for (const service of services) {
      const source = readIfExists(join(root, `apps/${service.name}/src/config.ts`));
      for (const [variable, target] of Object.entries(service.calls ?? {})) {
        expect(names).toContain(target);
        expect(source).toContain(`'${variable}'`);
      }
    }
  });

  it('creates every topic with its dead-letter topic', () => {
    for (const topic of services.flatMap((service) => service.topics)) {
      expect(topics).toContain(topic);
      expect(topics).toContain(dlqTopicOf(topic));
    }
  });
});

function readIfExists(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
