import 'reflect-metadata';
import { trackingModeOf } from './mode';

// One program, two modes. Each mode's entry point is loaded only when chosen, so a self-hosted
// server never loads the Postgres or Kafka client libraries (nor can it open their connections).
let mode: ReturnType<typeof trackingModeOf>;
try {
  mode = trackingModeOf();
} catch (error) {
  process.stderr.write(`tracking: invalid configuration:\n  - ${(error as Error).message}\n`);
  process.exit(78); // EX_CONFIG
}
if (mode === 'self-hosted') {
  require('./self-hosted/main');
} else {
  require('./hosted/main');
}
