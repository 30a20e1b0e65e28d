import { createRequire } from 'node:module';

/**
 * Two timers in kafkajs 2.2.4's per-connection request queue keep an idle service busy (about 2% of
 * a core for each service here, measured with `npm run bench:idle`):
 *
 * - after every response, `scheduleCheckPendingRequests` arms a timeout even when no request is
 *   pending, with a negative delay (Node runs it after 1 ms), and that check arms the next one: a
 *   1 ms loop on every connection for as long as it is open (kafkajs issues #1556 and #1704;
 *   kafkajs is no longer released, so the fix is here);
 * - request timeouts are checked every 100 ms on every connection, idle or not. Requests time out
 *   after 30 s or more, so checking once a second is as good.
 *
 * `applyKafkajsIdleFixes` replaces those two methods with ones that keep kafkajs's behaviour without
 * the idle cost. It refuses any other kafkajs version, whose internals it cannot vouch for.
 */
const PATCHED_VERSION = '2.2.4';
/** kafkajs's own delay for re-checking a queue that is full of in-flight requests. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;
const REQUEST_TIMEOUT_CHECK_MS = 1000;

interface SocketRequest {
  sentAt: number;
  requestTimeout: number;
  timeoutRequest(): void;
}

/** The part of kafkajs's internal `RequestQueue` these fixes read and replace. */
export interface RequestQueueInternals {
  pending: unknown[];
  inflight: Map<number, SocketRequest>;
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  requestTimeoutIntervalId?: NodeJS.Timeout;
  requestTimeout: number;
  enforceRequestTimeout: boolean;
  isConnected(): boolean;
  destroy(): void;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
  scheduleRequestTimeoutCheck(): void;
}

const load = createRequire(__filename);
let applied = false;

/** The prototype of kafkajs's `RequestQueue` (for the fixes and their tests). */
export function requestQueuePrototype(): RequestQueueInternals {
  const RequestQueue = load('kafkajs/src/network/requestQueue') as { prototype: RequestQueueInternals };
  return RequestQueue.prototype;
}

export function applyKafkajsIdleFixes(): void {
  if (applied) return;
  const { version } = load('kafkajs/package.json') as { version: string };
  if (version !== PATCHED_VERSION) {
    throw new Error(
      `kafkajs ${version} is installed; libs/event-store/src/kafkajs-idle.ts patches ${PATCHED_VERSION}: check whether the idle timers are fixed and update it`,
    );
  }
  const prototype = requestQueuePrototype();

  // A check is needed only while requests wait: at the end of a client-side throttle, or soon when
  // they wait for in-flight slots (a response also triggers a check).
  prototype.scheduleCheckPendingRequests = function (this: RequestQueueInternals) {
    if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
    const throttled = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      throttled > 0 ? throttled : CHECK_PENDING_REQUESTS_INTERVAL_MS,
    );
  };

  prototype.scheduleRequestTimeoutCheck = function (this: RequestQueueInternals) {
    if (!this.enforceRequestTimeout) return;
    this.destroy();
    this.requestTimeoutIntervalId = setInterval(
      () => {
        const now = Date.now();
        this.inflight.forEach((request) => {
          if (now - request.sentAt > request.requestTimeout) request.timeoutRequest();
        });
        if (!this.isConnected()) this.destroy();
      },
      Math.min(this.requestTimeout, REQUEST_TIMEOUT_CHECK_MS),
    );
  };
  applied = true;
}
