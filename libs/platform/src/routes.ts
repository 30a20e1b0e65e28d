import type { FastifyInstance } from 'fastify';

/**
 * The methods each registered URL pattern serves, so that a request the router cannot match is told
 * apart: an unknown path (404) from a known path asked with a method it does not serve (405 + Allow).
 */
export class RouteTable {
  private readonly routes = new Map<string, { pattern: RegExp; methods: Set<string> }>();

  /** Records every route the app registers from now on (call before Nest registers its routes). */
  static watch(fastify: FastifyInstance): RouteTable {
    const table = new RouteTable();
    fastify.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) table.add(method, route.url ?? route.path);
    });
    return table;
  }

  add(method: string, url: string): void {
    const entry = this.routes.get(url) ?? { pattern: patternOf(url), methods: new Set<string>() };
    entry.methods.add(method.toUpperCase());
    // Fastify answers HEAD for every GET route (exposeHeadRoutes).
    if (method.toUpperCase() === 'GET') entry.methods.add('HEAD');
    this.routes.set(url, entry);
  }

  /** The methods served at this path (query string ignored), sorted; empty for an unknown path. */
  allowedMethods(url: string): string[] {
    const path = url.split('?')[0] ?? '';
    const methods = new Set<string>();
    for (const { pattern, methods: served } of this.routes.values()) {
      if (pattern.test(path)) for (const method of served) methods.add(method);
    }
    return [...methods].sort();
  }
}

/** `/v1/licenses/:id/file` → a regular expression for concrete paths; `*` matches the rest. */
function patternOf(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      if (segment.startsWith(':')) return '[^/]+';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}$`);
}
