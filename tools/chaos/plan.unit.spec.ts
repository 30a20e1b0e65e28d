// tools/chaos/plan.mjs is an ES module and Jest runs specs as CommonJS: a child Node evaluates it.
import { evaluateInModules } from '@otl/testing';

type Fault = { at: number; kind: string; target?: string; downSeconds: number };
type Verdict = {
  lost: { order: string; problem: string }[];
  duplicated: { order: string; problem: string }[];
};

const services = [
  'portal',
  'store-webhook',
  'po-intake',
  'reseller-intake',
  'account',
  'license',
  'tracking',
];
const consumers = ['reseller-intake', 'account', 'license', 'tracking'];
const evaluate = <T>(body: string): T => evaluateInModules<T>({ p: 'tools/chaos/plan.mjs' }, body);
/** The plans of several seeds in one child process. */
const plans = (seeds: number[], seconds = 60): Fault[][] =>
  evaluate(
    `return ${JSON.stringify(seeds)}.map((seed) => p.planFaults({ seed, seconds: ${seconds},
       services: ${JSON.stringify(services)}, consumers: ${JSON.stringify(consumers)}, sessionTimeoutSeconds: 30 }));`,
  );
const plan = (seed: number, seconds = 60) => plans([seed], seconds)[0];
const describeFault = (fault: Fault) => evaluate<string>(`return p.describeFault(${JSON.stringify(fault)});`);
const random = (seed: number, draws: number, int: [number, number]) =>
  evaluate<{ next: number[]; ints: number[] }>(
    `const rng = p.random(${seed});
     return { next: Array.from({ length: ${draws} }, () => rng.next()),
              ints: Array.from({ length: 1000 }, () => rng.int(${int[0]}, ${int[1]})) };`,
  );
type Observed = {
  recorded: [string, string[]][];
  stuck: [string, string][];
  duplicates: [string, string[]][];
};
const verdict = (accepted: unknown[], observed: Observed, abandoned: string[] = []) =>
  evaluate<Verdict>(
    `const o = ${JSON.stringify(observed)};
     return p.verdict(${JSON.stringify(accepted)},
       { recorded: new Map(o.recorded), stuck: new Map(o.stuck), duplicates: new Map(o.duplicates) },
       new Set(${JSON.stringify(abandoned)}));`,
  );

describe('the fault plan', () => {
  it('is the same for the same seed and differs for another', () => {
    expect(plan(42)).toEqual(plan(42));
    expect(plan(43)).not.toEqual(plan(42));
  });

  it('kills every service, restarts Kafka and PostgreSQL and pauses a consumer past the session timeout', () => {
    for (const faults of plans([1, 2, 3, 99, 4_000_000_000])) {
      for (const service of services) {
        expect(
          faults.filter((fault) => fault.kind === 'kill' && fault.target === service).length,
        ).toBeGreaterThan(0);
      }
      expect(faults.filter((fault) => fault.kind === 'restart-kafka')).toHaveLength(1);
      expect(faults.filter((fault) => fault.kind === 'restart-postgres')).toHaveLength(1);
      const pauses = faults.filter((fault) => fault.kind === 'pause');
      expect(pauses).toHaveLength(1);
      expect(consumers).toContain(pauses[0].target);
      expect(pauses[0].downSeconds).toBeGreaterThan(30);
    }
  });

  it('lands every fault inside the load, in time order, and never restarts Kafka and PostgreSQL at once', () => {
    for (const faults of plans(
      Array.from({ length: 50 }, (_, seed) => seed),
      600,
    )) {
      expect(faults.map((fault) => fault.at)).toEqual(
        [...faults.map((fault) => fault.at)].sort((a, b) => a - b),
      );
      for (const fault of faults) {
        expect(fault.at).toBeGreaterThanOrEqual(30);
        expect(fault.at).toBeLessThanOrEqual(510);
      }
      const infra = faults.filter(
        (fault) => fault.kind === 'restart-kafka' || fault.kind === 'restart-postgres',
      );
      expect(infra.length).toBeGreaterThan(2); // a longer run restarts each more than once
      for (let i = 1; i < infra.length; i++) {
        expect(infra[i].at).toBeGreaterThan(infra[i - 1].at + infra[i - 1].downSeconds);
      }
    }
  });

  it('names each fault for the log', () => {
    expect(describeFault({ at: 1, kind: 'pause', target: 'account', downSeconds: 35.04 })).toBe(
      'SIGSTOP account for 35.0 s, then SIGCONT',
    );
  });

  it('draws from a uniform-looking, bounded stream', () => {
    const { next: draws, ints } = random(7, 10_000, [1, 3]);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
    expect([...new Set(ints)].sort()).toEqual([1, 2, 3]);
  });
});

describe('the verdict', () => {
  const order = { channel: 'store' as const, externalRef: 'S1', lines: 2 };
  const observed = (
    recorded: string[],
    stuck: [string, string][] = [],
    duplicates: [string, string[]][] = [],
  ): Observed => ({ recorded: recorded.length ? [['store/S1', recorded]] : [], stuck, duplicates });

  it('finds an order recorded once that went all the way neither lost nor duplicated', () => {
    expect(verdict([order], observed(['p1']))).toEqual({ lost: [], duplicated: [] });
  });

  it('counts an order lost when it was never recorded or stopped on the way', () => {
    expect(verdict([order], observed([])).lost).toEqual([
      { order: 'store/S1', problem: 'accepted, never recorded on purchases.v1' },
    ]);
    expect(verdict([order], observed(['p1'], [['p1', 'license: 1 of 2 items']])).lost).toEqual([
      { order: 'store/S1', problem: 'license: 1 of 2 items' },
    ]);
    expect(verdict([order], observed(['p1'], [['p2', 'elsewhere']])).lost).toEqual([]);
  });

  it('counts every kind of duplicate', () => {
    expect(verdict([order], observed(['p1', 'p2'])).duplicated).toEqual([
      { order: 'store/S1', problem: 'recorded 2 times' },
    ]);
    expect(
      verdict([order], observed(['p1'], [], [['p1', ['assigned 2 times', '3 items for 2 lines']]]))
        .duplicated,
    ).toEqual([
      { order: 'store/S1', problem: 'assigned 2 times' },
      { order: 'store/S1', problem: '3 items for 2 lines' },
    ]);
    expect(verdict([], observed(['p1'])).duplicated).toEqual([
      { order: 'store/S1', problem: 'recorded, but no channel accepted it' },
    ]);
  });

  it('holds nothing against an order the generator gave up on', () => {
    expect(verdict([], observed(['p1']), ['store/S1'])).toEqual({ lost: [], duplicated: [] });
  });
});
