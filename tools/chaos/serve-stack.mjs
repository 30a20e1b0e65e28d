#!/usr/bin/env node
// The fault suite's platform (stack.mjs) for a spec that needs every service on infrastructure of its
// own, say because it reads whole topics: starts it, prints one JSON line with where everything is,
// and stops it all when its standard input closes or it gets SIGTERM. The data goes with it.
import { rmSync } from 'node:fs';
import { stackDir, startChaosStack } from './stack.mjs';

const dir = stackDir('otl-stack-');
const log = (/** @type {string} */ message) => process.stderr.write(`[serve-stack] ${message}\n`);
/** @type {Awaited<ReturnType<typeof startChaosStack>> | undefined} */
let stack;
let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  await stack?.stop().catch((error) => log(`stopping: ${error.message}`));
  rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => stop());
process.stdin.on('end', () => stop());
process.stdin.on('close', () => stop());
process.stdin.resume();
try {
  stack = await startChaosStack({ dir, log });
  const { adminUrl, brokers, maildevUrl, urls, secrets, logs } = stack;
  process.stdout.write(`${JSON.stringify({ adminUrl, brokers, maildevUrl, urls, secrets, logs })}\n`);
} catch (error) {
  log(`could not start: ${error instanceof Error ? error.stack : error}`);
  await stop(1);
}
