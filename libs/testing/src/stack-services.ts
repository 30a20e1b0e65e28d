import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** A service as tools/stack/services.mjs declares it (see the typedef there). */
export interface StackService {
  name: string;
  port: number;
  database: string;
  main: string;
  topics: string[];
  produces: string[];
  consumes: Record<string, string[]>;
  calls?: Record<string, string>;
  secrets?: Record<string, 'whsec' | 'hex32' | 'ed25519'>;
}

export const repoRoot = join(__dirname, '..', '..', '..');

/**
 * Evaluates `body`, the body of an async function, in a child Node with the given ES modules of the
 * repository imported under the given names, and returns what it returns (as JSON). The stack's
 * scripts are ES modules and Jest runs specs as CommonJS, so specs reach them this way.
 */
export function evaluateInModules<T>(modules: Record<string, string>, body: string): T {
  const imports = Object.entries(modules)
    .map(([name, path]) => `const ${name} = await import(${JSON.stringify(`./${path}`)});`)
    .join('');
  const script =
    imports +
    `const result = await (async () => { ${body} })();` +
    'process.stdout.write(JSON.stringify(result));';
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  return JSON.parse(output) as T;
}

/** The services `npm start` runs, read from tools/stack/services.mjs, the list compose and k8s are checked against. */
export function stackServices(): { services: StackService[]; allTopics: string[] } {
  return evaluateInModules(
    { m: 'tools/stack/services.mjs' },
    'return { services: m.services, allTopics: m.allTopics() };',
  );
}
