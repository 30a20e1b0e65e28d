import fc, { type Arbitrary, type Parameters as PropertyParameters } from 'fast-check';
import type { Decider } from './decider';

/**
 * Settings for the deciders' property tests. A failing run prints its seed and counterexample path;
 * `FC_SEED=<seed> FC_PATH=<path>` replays exactly that case, `FC_RUNS` changes the number of runs.
 */
export function propertyParameters<T>(numRuns = 300): PropertyParameters<T> {
  const seed = process.env['FC_SEED'];
  const path = process.env['FC_PATH'];
  const runs = process.env['FC_RUNS'];
  return {
    numRuns: runs ? Number(runs) : numRuns,
    ...(seed ? { seed: Number(seed) } : {}),
    ...(path ? { path } : {}),
  };
}

/** One command of a generated sequence, folded through a decider. */
export interface Step<C, E, S> {
  command: C;
  before: S;
  /** The events it decided; empty when it was rejected. */
  events: E[];
  after: S;
  /** The domain error it was rejected with, if any. */
  rejection: Error | null;
}

export interface Run<C, E, S> {
  steps: Step<C, E, S>[];
  /** Every event decided, in order. */
  events: E[];
  state: S;
}

/** Freezes `value` and everything it holds, so that code changing it in place throws. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Folds `commands` through `decider`: each accepted command's events evolve the state, a command
 * rejected with a domain error (`isRejection`) leaves it unchanged. Any other error propagates, so a
 * decider that crashes fails the property. States and events are frozen on the way, so a decide or
 * evolve that changes them in place (rather than returning new ones) throws too.
 */
export function runCommands<C, E, S>(
  decider: Decider<C, E, S>,
  commands: readonly C[],
  isRejection: (error: unknown) => boolean,
  given: S = decider.initialState,
): Run<C, E, S> {
  const steps: Step<C, E, S>[] = [];
  const events: E[] = [];
  let state = given;
  for (const command of commands) {
    const before = deepFreeze(state);
    let decided: E[] = [];
    let rejection: Error | null = null;
    try {
      decided = decider.decide(command, before);
    } catch (error) {
      if (!isRejection(error)) throw error;
      rejection = error as Error;
    }
    state = deepFreeze(decided).reduce(decider.evolve, before);
    events.push(...decided);
    steps.push({ command, before, events: decided, after: state, rejection });
  }
  return { steps, events, state };
}

/**
 * The state rebuilt from the events alone as the event store hands them back: through JSON (the
 * `data jsonb` column), so an event that only works in memory (a Date, an undefined, a shared
 * reference) rebuilds a different state.
 */
export function replay<C, E, S>(decider: Decider<C, E, S>, events: readonly E[]): S {
  const stored = JSON.parse(JSON.stringify(events)) as E[];
  return stored.reduce(decider.evolve, decider.initialState);
}

/**
 * The property every decider shares: for any command sequence, the state rebuilt from its stored
 * events (`replay`) is the state it was folded to step by step.
 */
export function assertReplaysItsEvents<C, E, S>(
  decider: Decider<C, E, S>,
  commands: Arbitrary<C[]>,
  isRejection: (error: unknown) => boolean,
): void {
  fc.assert(
    fc.property(commands, (sequence) => {
      const run = runCommands(decider, sequence, isRejection);
      expect(replay(decider, run.events)).toEqual(run.state);
    }),
    propertyParameters(),
  );
}
