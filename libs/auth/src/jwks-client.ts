import type { KeyObject } from 'node:crypto';
import { importJwks, type KeyResolver } from './keys';

/** Structured logger; a pino Logger fits. */
export interface AuthLogger {
  debug(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
}

export interface JwksClientOptions {
  url: string;
  /** How long fetched keys are fresh (default 300 s). */
  cacheTtlSeconds?: number;
  /** Least time between two fetches, however many unknown kids arrive (default 10 s). */
  minRefetchIntervalSeconds?: number;
  /** Abandon a fetch after this long (default 5000 ms). */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; injectable for tests. */
  clock?: () => number;
  logger?: AuthLogger;
}

/** No key set has ever been loaded: verification is impossible, which is not the token's fault. */
export class JwksUnavailableError extends Error {
  constructor(url: string) {
    super(`the access-token keys at ${url} could not be loaded`);
    this.name = 'JwksUnavailableError';
  }
}

/**
 * The issuer's public keys, fetched from its JWKS URL and cached by kid. A kid it does not know
 * triggers a refetch (the issuer may have rotated), at most once per `minRefetchIntervalSeconds`;
 * when a fetch fails, the keys it already has keep serving.
 */
export class JwksClient implements KeyResolver {
  private keys = new Map<string, KeyObject>();
  private loadedAt: number | undefined;
  private attemptedAt: number | undefined;
  private inFlight: Promise<boolean> | undefined;
  private readonly ttlMs: number;
  private readonly minIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private readonly clock: () => number;

  constructor(private readonly options: JwksClientOptions) {
    this.ttlMs = (options.cacheTtlSeconds ?? 300) * 1000;
    this.minIntervalMs = (options.minRefetchIntervalSeconds ?? 10) * 1000;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.clock = options.clock ?? Date.now;
  }

  get url(): string {
    return this.options.url;
  }

  /** The kids currently cached. */
  keyIds(): string[] {
    return [...this.keys.keys()];
  }

  async getKey(kid: string): Promise<KeyObject | undefined> {
    if (this.inFlight) {
      await this.inFlight;
    } else {
      const now = this.clock();
      const stale = this.loadedAt === undefined || now - this.loadedAt >= this.ttlMs;
      const mayFetch = this.attemptedAt === undefined || now - this.attemptedAt >= this.minIntervalMs;
      if ((stale || !this.keys.has(kid)) && mayFetch) await this.refresh();
    }
    if (this.loadedAt === undefined) throw new JwksUnavailableError(this.options.url);
    return this.keys.get(kid);
  }

  /** Fetches now (joining a fetch in progress); true when the key set was replaced. */
  refresh(): Promise<boolean> {
    if (!this.inFlight) {
      this.attemptedAt = this.clock();
      this.inFlight = this.load().finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  private async load(): Promise<boolean> {
    try {
      const response = await this.fetchFn(this.options.url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const { keys, ignored } = importJwks(await response.json());
      if (ignored.length > 0)
        this.options.logger?.debug({ url: this.options.url, ignored }, 'JWKS entries skipped');
      this.keys = keys;
      this.loadedAt = this.clock();
      return true;
    } catch (error) {
      this.options.logger?.warn(
        { url: this.options.url, err: (error as Error).message, cachedKids: this.keyIds() },
        'JWKS fetch failed; keeping the cached keys',
      );
      return false;
    }
  }
}
