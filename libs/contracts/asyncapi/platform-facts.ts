import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { publicEventTypes, topicOf, type PublicEventType } from '../src/topics';

/** A service as tools/stack/services.mjs declares it: only what the AsyncAPI document needs. */
export interface ServiceFacts {
  name: string;
  produces: string[];
  /** Consumer group => topics it reads with that group. */
  consumes: Record<string, string[]>;
  /** Public event types its own (non-test) code names outside an `@EventPattern`: those it emits. */
  emits: PublicEventType[];
  /** Public event types it has an `@EventPattern` handler for: those its consumers act on. */
  handles: PublicEventType[];
}

/** Everything the AsyncAPI document says beyond libs/contracts, read from the repository. */
export interface PlatformFacts {
  /** package.json `version`. */
  version: string;
  /** `KAFKA_PARTITIONS` default (libs/platform/src/config.ts): partitions of topics a service creates. */
  defaultPartitions: number;
  /** Default attempts of a failing record before the inbox consumer dead-letters it. */
  inboxMaxAttempts: number;
  services: ServiceFacts[];
}

export const repoRoot = join(__dirname, '..', '..', '..');

/**
 * Reads the facts from tools/stack/services.mjs (who produces and consumes which topic, with which
 * consumer group) and from the services' sources (which event types each emits and handles), so
 * that the document changes, and its sync spec fails, when any of them changes.
 */
export function readPlatformFacts(root = repoRoot): PlatformFacts {
  const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const platformConfig = readFileSync(join(root, 'libs/platform/src/config.ts'), 'utf8');
  const partitions = /env\.int\('KAFKA_PARTITIONS',\s*\{\s*default:\s*(\d+)/.exec(platformConfig);
  if (!partitions?.[1]) throw new Error('libs/platform/src/config.ts: no KAFKA_PARTITIONS default found');
  const inbox = readFileSync(join(root, 'libs/event-store/src/inbox-consumer.ts'), 'utf8');
  const attempts = /this\.options\.maxAttempts \?\? (\d+)/.exec(inbox);
  if (!attempts?.[1]) throw new Error('libs/event-store/src/inbox-consumer.ts: no maxAttempts default found');
  return {
    version: packageJson.version,
    defaultPartitions: Number(partitions[1]),
    inboxMaxAttempts: Number(attempts[1]),
    services: stackServices(root).map((service) => ({
      ...service,
      ...eventTypesIn(join(root, 'apps', service.name, 'src')),
    })),
  };
}

/** services.mjs is an ES module and specs run as CommonJS, so a child Node prints it. */
function stackServices(root: string): Omit<ServiceFacts, 'emits' | 'handles'>[] {
  const script =
    "const { services } = await import('./tools/stack/services.mjs');" +
    'process.stdout.write(JSON.stringify(services.map(({ name, produces, consumes }) => ' +
    '({ name, produces, consumes }))));';
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  });
  return JSON.parse(output) as Omit<ServiceFacts, 'emits' | 'handles'>[];
}

const HANDLER = /@EventPattern\(\s*'([^']+)'/g;

function eventTypesIn(dir: string): Pick<ServiceFacts, 'emits' | 'handles'> {
  const sources = sourceFiles(dir).map((file) => readFileSync(file, 'utf8'));
  const handled = new Set(
    sources.flatMap((source) => [...source.matchAll(HANDLER)].map((match) => match[1])),
  );
  const rest = sources.map((source) => source.replace(HANDLER, '')).join('\n');
  return {
    emits: publicEventTypes.filter((type) => rest.includes(`'${type}'`)),
    handles: publicEventTypes.filter((type) => handled.has(type)),
  };
}

function sourceFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory())
      return name === 'test' || name === 'test-support' ? [] : sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Which services send each event type: they publish its topic and their code emits it. */
export function sendersOf(facts: PlatformFacts, type: PublicEventType): string[] {
  return facts.services
    .filter((service) => service.produces.includes(topicOf[type]) && service.emits.includes(type))
    .map((service) => service.name);
}
