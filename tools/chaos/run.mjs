// One fault-suite run: the platform on its own infrastructure, steady load through every channel and
// lease traffic, faults from the seeded plan, then the wait until every accepted order is through (or
// the deadline), and the verdict. `npm run chaos` (chaos.mjs) prints it; `npm test` runs it for 60 s.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createResellerKey } from '../stack/reseller-keys.mjs';
import { services } from '../stack/services.mjs';
import { createStaffMember } from '../stack/staff.mjs';
import { waitFor } from '../infra/process.mjs';
import {
  LoadRecord,
  leaseTraffic,
  purchaseOrderChannel,
  resellerChannel,
  steady,
  storeChannel,
} from './load.mjs';
import { reconcile } from '../reconcile/compare.mjs';
import { snapshot } from '../reconcile/reconcile.mjs';
import { describeFault, planFaults, random, verdict } from './plan.mjs';
import { stackDir, startChaosStack } from './stack.mjs';

/** kafkajs' default consumer session timeout, which none of the services changes. */
export const SESSION_TIMEOUT_SECONDS = 30;
const PASSWORD = 'chaos correct horse battery';
const LEASE_SEATS = 4;

/**
 * @typedef {object} ChaosOptions
 * @property {number} seconds   how long the load runs (faults fall within it)
 * @property {number} seed
 * @property {number} [convergeSeconds]  how long after the load the platform may take to catch up
 * @property {{ store: number, po: number, reseller: number, leases: number }} [rates] per second
 * @property {(message: string) => void} log
 */

/**
 * @param {ChaosOptions} options
 */
export async function runChaos({ seconds, seed, convergeSeconds = 180, rates, log }) {
  const rate = { store: 8, po: 1, reseller: 3, leases: 5, ...rates };
  const dir = stackDir('otl-chaos-');
  const stack = await startChaosStack({ dir, log });
  const started = Date.now();
  try {
    const rng = random(seed);
    const run = randomUUID().slice(0, 6);
    const record = new LoadRecord();
    const accountDb = stack.databaseUrl(database('account'));
    const [rep, manager] = await Promise.all(
      /** @type {const} */ (['sales-rep', 'sales-manager']).map((role) =>
        createStaffMember({
          accountUrl: stack.urls.account,
          databaseUrl: accountDb,
          portalUrl: stack.urls.portal,
          role,
          password: PASSWORD,
        }),
      ),
    );
    const { key: apiKey } = await createResellerKey({
      databaseUrl: stack.databaseUrl(database('reseller-intake')),
      reseller: `Chaos Reseller ${run}`,
    });
    const licenseKey = await activatedLicence(stack, run, record);
    log(`seeded: a sales rep and manager, a reseller key, an activated licence of ${LEASE_SEATS} seats`);

    const faults = planFaults({
      seed,
      seconds,
      services: services.map((service) => service.name),
      consumers: services.filter((service) => Object.keys(service.consumes).length > 0).map((s) => s.name),
      sessionTimeoutSeconds: SESSION_TIMEOUT_SECONDS,
    });
    log(`seed ${seed}: ${faults.length} faults over ${seconds} s of load`);
    for (const fault of faults) log(`  at ${fault.at.toFixed(1).padStart(6)} s  ${describeFault(fault)}`);

    const loadStart = Date.now();
    const until = loadStart + seconds * 1000;
    const deadline = () => until + convergeSeconds * 1000;
    const context = { stack, rng, record, run, deadline };
    /** @type {string[]} */
    const faultErrors = [];
    let infraQueue = Promise.resolve();
    const injected = faults.map(async (fault) => {
      await sleep(Math.max(0, loadStart + fault.at * 1000 - Date.now()));
      const inject = async () => {
        log(`  ${((Date.now() - loadStart) / 1000).toFixed(1).padStart(6)} s  now: ${describeFault(fault)}`);
        if (fault.kind === 'restart-kafka') await stack.restartKafka(fault.downSeconds);
        else if (fault.kind === 'restart-postgres') await stack.restartPostgres(fault.downSeconds);
        else {
          const service = /** @type {import('./stack.mjs').ServiceProcess} */ (
            stack.processes.get(fault.target)
          );
          if (fault.kind === 'pause') await service.pause(fault.downSeconds);
          else {
            await service.kill();
            await sleep(fault.downSeconds * 1000);
            await service.start();
          }
        }
      };
      const failed = (/** @type {unknown} */ error) => {
        faultErrors.push(`${describeFault(fault)}: ${error instanceof Error ? error.message : error}`);
      };
      if (fault.kind === 'restart-kafka' || fault.kind === 'restart-postgres') {
        infraQueue = infraQueue.then(inject).catch(failed);
        await infraQueue;
      } else {
        const service = /** @type {import('./stack.mjs').ServiceProcess} */ (
          stack.processes.get(fault.target)
        );
        service.queue = service.queue.then(inject).catch(failed);
        await service.queue;
      }
    });
    await Promise.all([
      steady({ rate: rate.store, until, concurrency: 64, action: storeChannel(context) }),
      steady({
        rate: rate.po,
        until,
        concurrency: 16,
        action: purchaseOrderChannel({ ...context, rep, manager }),
      }),
      steady({
        rate: rate.reseller,
        until,
        concurrency: 32,
        action: resellerChannel({ ...context, apiKey }),
      }),
      steady({
        rate: rate.leases,
        until,
        concurrency: 1,
        action: leaseTraffic({ stack, rng, record, licenseKey, seats: LEASE_SEATS }),
      }),
      ...injected,
    ]);
    // Crash restarts still under way finish before the platform is judged.
    await Promise.all([...stack.processes.values()].map((service) => service.queue));
    const loadEnded = Date.now();
    log(
      `load and faults over after ${((loadEnded - loadStart) / 1000).toFixed(1)} s; waiting for the platform`,
    );

    /** @type {ReturnType<typeof verdict>} */
    let result = { lost: [], duplicated: [] };
    /** @type {import('../reconcile/compare.mjs').Inconsistency[]} */
    let contradictions = [];
    /** @type {Record<string, number>} */
    let dlq = {};
    let convergedAfter = Number.NaN;
    const judgeBy = loadEnded + convergeSeconds * 1000;
    for (;;) {
      // The operator's reconciliation is the oracle: with no grace period, anything not all the way
      // through is "stuck", and the run has converged once nothing is.
      const taken = await snapshot({ databaseUrl: stack.databaseUrl, brokers: stack.brokers }).catch(
        (error) => {
          log(`  reading the platform failed (${error.message}); again`);
          return undefined;
        },
      );
      if (taken) {
        const found = reconcile(taken, { now: new Date(), stuckAfterSeconds: 0 });
        result = verdict(record.accepted, observedBy(taken, found), record.abandoned);
        contradictions = found.inconsistent.filter((entry) => entry.kind === 'contradiction');
        dlq = taken.deadLetters;
        if (result.lost.length === 0 && found.stuck.length === 0) {
          convergedAfter = (Date.now() - loadEnded) / 1000;
          break;
        }
      }
      if (Date.now() > judgeBy) break;
      await sleep(2000);
    }
    const usage = await fetch(
      `${stack.urls.tracking}/v1/lts/licenses/${encodeURIComponent(licenseKey)}/usage`,
    ).then((response) => response.json());
    const overSeatedAtEnd = /** @type {{ seatsInUse: number, seatsTotal: number }[]} */ (usage).filter(
      (product) => product.seatsInUse > product.seatsTotal,
    ).length;
    const processes = [...stack.processes.values()];
    return {
      seed,
      seconds,
      elapsedSeconds: (Date.now() - started) / 1000,
      record,
      faults,
      faultErrors,
      kills: Object.fromEntries(processes.map((service) => [service.name, service.kills])),
      pauses: Object.fromEntries(processes.map((service) => [service.name, service.pauses])),
      crashes: Object.fromEntries(processes.map((service) => [service.name, service.crashes])),
      lost: result.lost,
      duplicated: result.duplicated,
      contradictions,
      convergedAfter,
      deadLetters: dlq,
      overSeated: record.leases.overSeated + overSeatedAtEnd,
      logs: stack.logs,
    };
  } finally {
    await stack.stop();
    if (process.env.CHAOS_KEEP_DATA !== '1') rmSync(dir, { recursive: true, force: true });
    else log(`data and logs kept in ${dir}`);
  }
}

/** @typedef {Awaited<ReturnType<typeof runChaos>>} ChaosResult */

/**
 * What the verdict needs from a reconciliation: each order's distinct recorded events on purchases.v1,
 * where each purchase stopped and what it has twice.
 * @param {import('../reconcile/compare.mjs').Snapshot} taken
 * @param {import('../reconcile/compare.mjs').Reconciliation} found
 * @returns {import('./plan.mjs').Observed}
 */
function observedBy(taken, found) {
  /** @type {Map<string, Set<string>>} */
  const events = new Map();
  /** @type {Map<string, string>} */
  const purchaseOf = new Map();
  for (const event of taken.purchasesTopic) {
    if (event.type !== 'purchase.recorded.v1') continue;
    const key = `${event.data.channel}/${event.data.externalRef}`;
    events.set(key, (events.get(key) ?? new Set()).add(event.id));
    purchaseOf.set(event.id, event.data.purchaseId);
  }
  /** @type {Map<string, string[]>} */
  const duplicates = new Map();
  for (const entry of found.inconsistent) {
    if (entry.kind !== 'duplicate' || entry.purchaseId === undefined) continue;
    duplicates.set(entry.purchaseId, [...(duplicates.get(entry.purchaseId) ?? []), entry.problem]);
  }
  return {
    recorded: new Map(
      [...events].map(([key, ids]) => [
        key,
        [...ids].map((id) => /** @type {string} */ (purchaseOf.get(id))),
      ]),
    ),
    stuck: new Map(found.stuck.map((entry) => [entry.purchaseId, entry.stoppedAt])),
    duplicates,
  };
}

/** @param {string} name */
function database(name) {
  const service = services.find((candidate) => candidate.name === name);
  if (!service) throw new Error(`services.mjs lists no ${name}`);
  return service.database;
}

/**
 * A buyer's licence of LEASE_SEATS devices, bought in the store, generated and activated for
 * vendor-hosted tracking through the APIs, known to the tracking service: the lease traffic's target.
 * Its order is one of the run's accepted orders.
 * @param {import('./stack.mjs').ChaosStack} stack @param {string} run @param {LoadRecord} record
 */
async function activatedLicence(stack, run, record) {
  const email = `leases.${run}@chaos.example`;
  const orderId = `CHAOS-${run}-LEASES`;
  const body = JSON.stringify({
    type: 'order.completed',
    data: {
      orderId,
      completedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      currency: 'USD',
      customer: { email, name: 'Chaos Lease Buyer', company: null },
      items: [{ sku: 'BARCODE-JS-DEVICE-1Y', quantity: LEASE_SEATS, unitPrice: '1249.00' }],
      total: (1249 * LEASE_SEATS).toFixed(2),
    },
  });
  const { createHmac } = await import('node:crypto');
  const id = `msg_${run}_leases`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const key = Buffer.from(stack.secrets.STORE_WEBHOOK_SECRET.replace(/^whsec_/, ''), 'base64');
  const delivered = await fetch(`${stack.urls['store-webhook']}/v1/webhooks/store`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`,
    },
    body,
  });
  if (delivered.status !== 202) throw new Error(`seeding: the store webhook answered ${delivered.status}`);
  record.sent.store += 1;
  record.accepted.push({ channel: 'store', externalRef: orderId, lines: 1 });

  /** @type {string | undefined} */
  let token;
  await waitFor(
    async () => {
      const mails = await (
        await fetch(`${stack.maildevUrl}/api/email?${new URLSearchParams({ 'to.address': email })}`)
      ).json();
      token = /** @type {{ text: string }[]} */ (mails)
        .map((mail) => /set-password\?token=([\w-]+)/.exec(mail.text)?.[1])
        .find(Boolean);
      return token !== undefined;
    },
    { timeoutMs: 60_000, onTimeout: () => `seeding: no set-password mail to ${email}` },
  );
  const post = (/** @type {string} */ url, /** @type {unknown} */ json, /** @type {string} */ bearer = '') =>
    fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      body: JSON.stringify(json),
    });
  const reset = await post(`${stack.urls.account}/v1/auth/password-reset/confirm`, {
    token,
    password: PASSWORD,
  });
  if (reset.status !== 204) throw new Error(`seeding: setting the password answered ${reset.status}`);
  const signIn = await (
    await post(`${stack.urls.account}/v1/auth/token`, { email, password: PASSWORD })
  ).json();
  const bearer = /** @type {string} */ (signIn.accessToken);
  /** @type {string | undefined} */
  let itemId;
  await waitFor(
    async () => {
      const answer = await fetch(`${stack.urls.license}/v1/license-items`, {
        headers: { authorization: `Bearer ${bearer}` },
      });
      itemId = answer.status === 200 ? (await answer.json())[0]?.itemId : undefined;
      return itemId !== undefined;
    },
    { timeoutMs: 60_000, onTimeout: () => 'seeding: the licence item did not appear' },
  );
  const generated = await post(`${stack.urls.license}/v1/licenses`, { itemIds: [itemId] }, bearer);
  const licence = await generated.json();
  if (generated.status !== 201)
    throw new Error(`seeding: generating the licence answered ${generated.status}`);
  const activated = await post(
    `${stack.urls.license}/v1/licenses/${licence.licenseId}/activation`,
    { trackingMode: 'vendor-hosted' },
    bearer,
  );
  if (activated.status !== 200) throw new Error(`seeding: activating answered ${activated.status}`);
  // The tracking service learns the licence from licenses.v1; one seat taken and given back proves it.
  await waitFor(
    async () => {
      const lease = await post(`${stack.urls.tracking}/v1/lts/leases`, {
        licenseKey: licence.licenseKey,
        clientId: 'chaos-probe',
      });
      if (lease.status !== 201) return false;
      const { leaseId } = await lease.json();
      await fetch(`${stack.urls.tracking}/v1/lts/leases/${leaseId}`, { method: 'DELETE' });
      return true;
    },
    { timeoutMs: 60_000, onTimeout: () => 'seeding: the tracking service never learnt the licence' },
  );
  return /** @type {string} */ (licence.licenseKey);
}
