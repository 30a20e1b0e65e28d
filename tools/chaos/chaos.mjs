#!/usr/bin/env node
// `npm run chaos`: the whole platform under steady load through every channel while its parts die.
// It starts its own PostgreSQL, Kafka and MailDev (free ports, throwaway data) and every service, then
// for --minutes sends store webhooks, purchase orders (submitted and approved), reseller orders and
// lease traffic while, at moments drawn from the seed, each service is SIGKILLed and restarted, Kafka
// and PostgreSQL are restarted and a consumer is paused past its Kafka session timeout. Afterwards it
// waits until every accepted order is recorded once, assigned once and itemised, and prints the table.
//
//   npm run chaos                         5 minutes of load
//   npm run chaos -- --minutes 20         longer
//   npm run chaos -- --seconds 60         the short run `npm test` makes
//   npm run chaos -- --seed 123456789     replay a run's faults (the seed is printed first)
//   CHAOS_KEEP_DATA=1 npm run chaos       keep the data folder and the services' logs
//
// Exit code 0 when nothing was lost or duplicated and every check held, 1 otherwise, 2 on bad usage.
import { parseArgs } from 'node:util';
import { build, ensureInstalled, logger, paint, section } from '../stack/bootstrap.mjs';

/** @param {string[]} argv */
export function chaosArguments(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: 'string' },
      seconds: { type: 'string' },
      seed: { type: 'string' },
      'skip-build': { type: 'boolean' },
    },
  });
  const seconds = values.seconds ? Number(values.seconds) : Number(values.minutes ?? '5') * 60;
  if (!Number.isFinite(seconds) || seconds < 20)
    throw new Error('--seconds must be at least 20 (or --minutes)');
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32))
    throw new Error('--seed must be an integer from 0 to 4294967295');
  return { seconds, seed, skipBuild: values['skip-build'] === true };
}

/**
 * The run's table and its verdict lines.
 * @param {import('./run.mjs').ChaosResult} result
 */
export function report(result) {
  const { record } = result;
  const channels = /** @type {const} */ (['store', 'purchase-order', 'reseller']);
  /** @param {string} channel @param {{ order: string }[]} list */
  const of = (channel, list) => list.filter((entry) => entry.order.startsWith(`${channel}/`)).length;
  const rows = channels.map((channel) => [
    channel,
    String(record.sent[channel]),
    String(record.accepted.filter((order) => order.channel === channel).length),
    String([...record.abandoned].filter((key) => key.startsWith(`${channel}/`)).length),
    String(of(channel, result.lost)),
    String(of(channel, result.duplicated)),
  ]);
  const header = ['channel', 'load sent', 'accepted', 'given up', 'lost', 'duplicated'];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (/** @type {string[]} */ cells) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const count = (/** @type {Record<string, number>} */ byName) =>
    Object.entries(byName)
      .filter(([, n]) => n > 0)
      .map(([name, n]) => `${name} ${n}`)
      .join(', ') || 'none';
  const faultsOf = (/** @type {string} */ kind) =>
    result.faults.filter((fault) => fault.kind === kind).length;
  const leases = record.leases;
  const lines = [
    line(header),
    ...rows.map(line),
    '',
    `faults injected   ${result.faults.length}: SIGKILL ${faultsOf('kill')} (${count(result.kills)}), ` +
      `Kafka restarts ${faultsOf('restart-kafka')}, PostgreSQL restarts ${faultsOf('restart-postgres')}, ` +
      `pauses past the session timeout ${faultsOf('pause')} (${count(result.pauses)})`,
    `unasked exits     ${count(result.crashes)} (restarted after 1 s, as an orchestrator would)`,
    `lease traffic     ${leases.requests} requests: ${leases.granted} seats granted, ${leases.exhausted} refused as full, ` +
      `${leases.released} released, ${leases.retried} retried; over-seated: ${result.overSeated}`,
    `requests          ${record.attempts} sent, ${record.retries} of them retries`,
    `time to converge  ${Number.isNaN(result.convergedAfter) ? 'did not converge' : `${result.convergedAfter.toFixed(1)} s after the load stopped`}`,
    `dead letters      ${count(result.deadLetters)}`,
    `inconsistent      ${result.contradictions.length} (other contradictions the reconciliation found)`,
    `seed              ${result.seed} (replay: npm run chaos -- --seconds ${result.seconds} --seed ${result.seed})`,
  ];
  /** @type {string[]} */
  const problems = [
    ...result.lost.map((entry) => `lost: ${entry.order}: ${entry.problem}`),
    ...result.duplicated.map((entry) => `duplicated: ${entry.order}: ${entry.problem}`),
    ...result.contradictions.map((entry) => `inconsistent: ${entry.subject}: ${entry.problem}`),
    ...record.refused.map(
      (entry) => `refused: ${entry.order} answered ${entry.status} ${JSON.stringify(entry.body)}`,
    ),
    ...result.faultErrors.map((error) => `fault not injected as planned: ${error}`),
    ...Object.entries(result.deadLetters).map(([topic, n]) => `dead letters: ${n} on ${topic}`),
    ...(result.overSeated > 0
      ? [`over-seated: seats in use above seats total ${result.overSeated} times`]
      : []),
    ...(record.accepted.length === 0 ? ['no order was accepted at all'] : []),
  ];
  return { lines, problems };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let options;
  try {
    options = chaosArguments(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  }
  await ensureInstalled();
  if (!options.skipBuild && !(await build())) process.exit(1);
  const { newSeed } = await import('./plan.mjs');
  const { runChaos } = await import('./run.mjs');
  const seed = options.seed ?? newSeed();
  const log = logger('chaos');
  section(`Fault suite: ${options.seconds} s of load, seed ${seed}`);
  const result = await runChaos({ seconds: options.seconds, seed, log });
  section('Result');
  const { lines, problems } = report(result);
  for (const text of lines) console.log(text);
  for (const problem of problems.slice(0, 50)) console.log(paint('red', problem));
  if (problems.length > 50) console.log(paint('red', `… and ${problems.length - 50} more`));
  console.log(
    problems.length === 0
      ? paint(
          'green',
          `0 lost, 0 duplicated, every check held (${result.elapsedSeconds.toFixed(0)} s in all)`,
        )
      : paint(['red', 'bold'], `${problems.length} problems`),
  );
  process.exit(problems.length === 0 ? 0 : 1);
}
