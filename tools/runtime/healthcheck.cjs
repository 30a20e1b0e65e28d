'use strict';
// The image's HEALTHCHECK: exits 0 when GET /health/ready on this container's service answers 200,
// 1 otherwise. Plain Node (the image has no curl or wget). The port is PORT when set, else the port
// services.mjs gives the service PID 1 runs (`serve.cjs <service>`), else the first argument.
const path = require('node:path');
const { readFileSync } = require('node:fs');
const { pathToFileURL } = require('node:url');

const TIMEOUT_MS = 3000;

async function port() {
  if (process.env.PORT) return process.env.PORT;
  if (process.argv[2]) return process.argv[2];
  const args = readFileSync('/proc/1/cmdline', 'utf8').split('\0');
  const at = args.findIndex((arg) => arg.endsWith('serve.cjs'));
  const url = pathToFileURL(path.resolve(__dirname, '..', 'stack', 'services.mjs')).href;
  const { services } = await import(url);
  const service = services.find((candidate) => candidate.name === args[at + 1]);
  if (at < 0 || !service) throw new Error('cannot tell which service runs here; set PORT');
  return String(service.port);
}

port()
  .then((value) =>
    fetch(`http://127.0.0.1:${value}/health/ready`, { signal: AbortSignal.timeout(TIMEOUT_MS) }),
  )
  .then(
    (response) => process.exit(response.status === 200 ? 0 : 1),
    (error) => {
      process.stderr.write(`healthcheck: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
