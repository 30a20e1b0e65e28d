// The pure timing rules of a lease: when to beat, how long to wait after a failure, and until
// when the seat is ours by the local clock. Everything takes the time in; nothing reads a clock.

export interface BackoffPolicy {
  /** The first retry waits about this long (default 1,000 ms). */
  initialMs: number;
  /** No retry waits longer than this (default 30,000 ms). */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 30_000 };

/**
 * The wait before retry number `attempt` (0 for the first): capped exponential growth with
 * "equal jitter", a random point in the upper half of the step. Never zero, so a failing server
 * is not hammered; spread out, so clients that failed together do not retry together.
 * `random` is a number in [0, 1).
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: number): number {
  const step = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + (step / 2) * random);
}

/** The wait before retrying a transient failure: the backoff, but never less than `retry-after`. */
export function retryDelayMs(
  attempt: number,
  policy: BackoffPolicy,
  random: number,
  retryAfterSeconds: number | undefined,
): number {
  return Math.max(backoffDelayMs(attempt, policy, random), (retryAfterSeconds ?? 0) * 1000);
}

/** Heartbeats never come closer together than this, even when the lease is about to end. */
export const MIN_HEARTBEAT_MS = 1_000;

/**
 * The wait until the next heartbeat: the interval the server asked for, but no later than halfway
 * to the lease's end (when the licence's term caps `expiresAt`, or the clock is off), and not
 * sooner than MIN_HEARTBEAT_MS.
 */
export function heartbeatDelayMs(intervalSeconds: number, deadlineMs: number, nowMs: number): number {
  const half = (deadlineMs - nowMs) / 2;
  return Math.max(MIN_HEARTBEAT_MS, Math.min(intervalSeconds * 1000, half));
}

/**
 * The local time until which the lease holds, whatever the two clocks say. The server's `expiresAt`
 * is in its own time; its `Date` header (whole seconds, so up to 1 s behind) tells how far ahead
 * that is. Counting from when the request was sent keeps the estimate on the safe side.
 * Without a usable `Date` the server's `expiresAt` is taken as is.
 */
export function localDeadlineMs(
  expiresAtMs: number,
  serverDateMs: number | undefined,
  sentAtMs: number,
): number {
  if (serverDateMs === undefined || Number.isNaN(serverDateMs)) return expiresAtMs;
  return sentAtMs + (expiresAtMs - serverDateMs) - 1000;
}
