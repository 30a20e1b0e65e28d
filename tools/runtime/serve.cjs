'use strict';
// The container entry point: `node tools/runtime/serve.cjs <service> [operator script] [args...]`.
//
//   serve.cjs account                      runs the account service (its compiled main, as `npm start` does)
//   serve.cjs account staff/create-staff.js --email …   runs one of its compiled operator commands
//   serve.cjs --list                       prints every service and its compiled main (JSON)
//
// The service names and their mains come from tools/stack/services.mjs. The service runs in this very
// process (no child), so when this is PID 1 in a container the service's own SIGTERM handling (Nest
// shutdown hooks) receives the signal. Unknown names are refused with exit code 64 (EX_USAGE).
const path = require('node:path');
const { existsSync } = require('node:fs');
const { pathToFileURL } = require('node:url');

const root = path.resolve(__dirname, '..', '..');
const USAGE = 64;

/** @returns {Promise<{ name: string, port: number, main: string }[]>} */
async function loadServices() {
  const { services } = await import(pathToFileURL(path.join(root, 'tools', 'stack', 'services.mjs')).href);
  return services;
}

/** @param {string} message */
function refuse(message) {
  process.stderr.write(`serve: ${message}\n`);
  process.exit(USAGE);
}

async function main() {
  const [name, script, ...args] = process.argv.slice(2);
  const services = await loadServices();
  const names = services.map((service) => service.name).join(', ');
  if (name === '--list') {
    const mains = Object.fromEntries(services.map((service) => [service.name, service.main]));
    process.stdout.write(`${JSON.stringify(mains)}\n`);
    return;
  }
  if (!name) refuse(`name the service to run, one of: ${names}`);
  const service = services.find((candidate) => candidate.name === name);
  if (!service) refuse(`unknown service "${name}"; this image runs one of: ${names}`);

  let entry = path.join(root, service.main);
  if (script) {
    // An operator command: a compiled script inside that service's own sources, nothing else.
    const sources = path.dirname(entry);
    entry = path.resolve(sources, script);
    if (!entry.startsWith(`${sources}${path.sep}`) || !entry.endsWith('.js'))
      refuse(`"${script}" is not a compiled script of ${name} (a path like staff/create-staff.js)`);
  }
  if (!existsSync(entry)) refuse(`${path.relative(root, entry)} does not exist in this image`);

  // The service's PORT defaults to the one services.mjs gives it (its config has the same default).
  process.env.PORT ??= String(service.port);
  process.argv = [process.argv[0], entry, ...args];
  require('./register-aliases.cjs');
  require(entry);
}

main().catch((error) => {
  process.stderr.write(`serve: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
