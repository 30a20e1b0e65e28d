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
 * The services `npm start` runs, read from tools/stack/services.mjs, the list compose and k8s are
 * checked against. It is an ES module and Jest runs specs as CommonJS, so a child Node prints it.
 */
export function stackServices(): { services: StackService[]; allTopics: string[] } {
  const script =
    "const m = await import('./tools/stack/services.mjs');" +
    'process.stdout.write(JSON.stringify({ services: m.services, allTopics: m.allTopics() }));';
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  return JSON.parse(output) as { services: StackService[]; allTopics: string[] };
}
