// The pure parts of the fault suite: a seeded random source, the fault schedule drawn from it, and the
// verdict over what the channels accepted and what the platform made of it. No I/O here, so the
// schedule a seed gives and the way orders are counted are unit-tested (plan.unit.spec.ts).

/**
 * A small seeded generator (mulberry32): the same seed gives the same faults at the same moments, so a
 * failing run can be replayed with `npm run chaos -- --seed <seed>`.
 * @param {number} seed a 32-bit unsigned integer
 */
export function random(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    /** [0, 1) */
    next,
    /** an integer in [min, max] */
    int: (/** @type {number} */ min, /** @type {number} */ max) => min + Math.floor(next() * (max - min + 1)),
    /** a number in [min, max) */
    between: (/** @type {number} */ min, /** @type {number} */ max) => min + next() * (max - min),
    /** @template T @param {readonly T[]} items @returns {T} */
    pick: (items) => items[Math.floor(next() * items.length)],
  };
}

/** A seed from the clock and the process, printed by every run. */
export const newSeed = () => (Date.now() ^ (process.pid << 16)) >>> 0;

/**
 * @typedef {{ at: number, kind: 'kill', target: string, downSeconds: number }
 *   | { at: number, kind: 'pause', target: string, downSeconds: number }
 *   | { at: number, kind: 'restart-kafka', downSeconds: number }
 *   | { at: number, kind: 'restart-postgres', downSeconds: number }} Fault
 *   `at`: seconds after the load started; `downSeconds`: how long the target stays dead or stopped
 */

/**
 * The faults of one run, sorted by time. Each service is SIGKILLed `killsPerService` times (at least
 * once) and restarted after a short outage; Kafka and PostgreSQL are restarted `infraRestarts` times
 * each, never while the other is down; one consumer is paused (SIGSTOP) for longer than its Kafka
 * session timeout per `pauses`. Everything lands in the first 85% of the load, so the platform is
 * still under load when the last fault heals.
 * @param {{ seed: number, seconds: number, services: string[], consumers: string[],
 *   sessionTimeoutSeconds: number }} options
 * @returns {Fault[]}
 */
export function planFaults({ seed, seconds, services, consumers, sessionTimeoutSeconds }) {
  const rng = random(seed);
  const minutes = seconds / 60;
  const killsPerService = Math.max(1, Math.round(minutes * 1.5));
  const infraRestarts = Math.max(1, Math.round(minutes / 4));
  const pauses = Math.max(1, Math.round(minutes / 3));
  /** @type {[number, number]} */
  const window = [seconds * 0.05, seconds * 0.85];
  /** @type {Fault[]} */
  const faults = [];
  for (const target of services) {
    for (let i = 0; i < killsPerService; i++) {
      faults.push({ at: rng.between(...window), kind: 'kill', target, downSeconds: rng.between(0.5, 4) });
    }
  }
  // Infrastructure outages one at a time: a restart of each, in random order, in disjoint slots.
  /** @type {('restart-kafka' | 'restart-postgres')[]} */
  const infra = [];
  for (let i = 0; i < infraRestarts; i++) infra.push('restart-kafka', 'restart-postgres');
  const slot = (window[1] - window[0]) / infra.length;
  const order = infra.map((kind) => ({ kind, key: rng.next() })).sort((a, b) => a.key - b.key);
  order.forEach(({ kind }, i) => {
    const downSeconds = rng.between(1, 5);
    const start = window[0] + i * slot;
    faults.push({ at: start + rng.between(0, Math.max(0, slot * 0.5)), kind, downSeconds });
  });
  for (let i = 0; i < pauses; i++) {
    faults.push({
      at: rng.between(window[0], Math.max(window[0], window[1] - sessionTimeoutSeconds)),
      kind: 'pause',
      target: rng.pick(consumers),
      downSeconds: sessionTimeoutSeconds + rng.between(3, 8),
    });
  }
  return faults.sort((a, b) => a.at - b.at);
}

/** @param {Fault} fault */
export function describeFault(fault) {
  const down = `${fault.downSeconds.toFixed(1)} s`;
  switch (fault.kind) {
    case 'kill':
      return `SIGKILL ${fault.target}, restart after ${down}`;
    case 'pause':
      return `SIGSTOP ${fault.target} for ${down}, then SIGCONT`;
    case 'restart-kafka':
      return `stop Kafka, start it again after ${down}`;
    case 'restart-postgres':
      return `stop PostgreSQL, start it again after ${down}`;
  }
}

/**
 * @typedef {object} AcceptedOrder  an order a channel answered 2xx for
 * @property {'store' | 'purchase-order' | 'reseller'} channel
 * @property {string} externalRef  the store's order id, the poNumber or the resellerOrderRef
 * @property {number} lines        purchase lines, each of which must become one licence item
 */

/**
 * @typedef {object} Observed  what the platform holds for the orders, read after the run
 * @property {Map<string, string[]>} recorded  `channel/externalRef` => purchaseIds of its distinct
 *           purchase.recorded.v1 events on purchases.v1
 * @property {Map<string, string>} stuck  purchaseId => where the reconciliation found it stopped
 * @property {Map<string, string[]>} duplicates  purchaseId => what the reconciliation found twice
 */

/** @param {{ channel: string, externalRef: string }} order */
export const orderKey = (order) => `${order.channel}/${order.externalRef}`;

/**
 * For every accepted order: whether it went all the way, and whether anything happened twice. An
 * order is `lost` if no purchase.recorded.v1 carries it or the reconciliation finds its purchase
 * stopped on the way (not assigned, not every line itemised, ...); `duplicated` if it was recorded
 * more than once or the reconciliation found part of it twice (assigned twice, more items than lines).
 * Recorded purchases nobody accepted are duplicates as well: a retry that made a second order.
 * Orders the load generator gave up on (never answered 2xx before the end) may or may not have been
 * stored; they count neither way.
 * @param {AcceptedOrder[]} accepted
 * @param {Observed} observed
 * @param {Set<string>} [abandoned] `orderKey`s of orders given up on
 */
export function verdict(accepted, observed, abandoned = new Set()) {
  /** @type {{ order: string, problem: string }[]} */
  const lost = [];
  /** @type {{ order: string, problem: string }[]} */
  const duplicated = [];
  const expected = new Set();
  for (const order of accepted) {
    const key = orderKey(order);
    expected.add(key);
    const purchases = observed.recorded.get(key) ?? [];
    if (purchases.length === 0) {
      lost.push({ order: key, problem: 'accepted, never recorded on purchases.v1' });
      continue;
    }
    if (purchases.length > 1) duplicated.push({ order: key, problem: `recorded ${purchases.length} times` });
    for (const purchaseId of purchases) {
      const stoppedAt = observed.stuck.get(purchaseId);
      if (stoppedAt !== undefined) lost.push({ order: key, problem: stoppedAt });
      for (const problem of observed.duplicates.get(purchaseId) ?? [])
        duplicated.push({ order: key, problem });
    }
  }
  for (const key of observed.recorded.keys()) {
    if (!expected.has(key) && !abandoned.has(key))
      duplicated.push({ order: key, problem: 'recorded, but no channel accepted it' });
  }
  return { lost, duplicated };
}
