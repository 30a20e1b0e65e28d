import 'reflect-metadata';
import { connectInbox, isTransientDatabaseError } from '@otl/event-store';
import { runService } from '@otl/platform';
import { SERVICE_NAME } from '../mode';
import { hostedModule } from './app.module';
import { loadHostedConfig } from './config';

runService({
  name: SERVICE_NAME,
  loadConfig: loadHostedConfig,
  prepare: hostedModule,
  connect: connectInbox,
  bodyLimitBytes: 256 * 1024,
  trustProxy: (config) => config.trustProxy,
  unavailable: { when: isTransientDatabaseError, retryAfterSeconds: 5 },
  openApi: {
    title: 'tracking',
    description:
      'The vendor-hosted License Tracking Server (LTS): seats of activated vendor-hosted licences leased to ' +
      "clients (acquire, heartbeat, release; exact across instances), and the portal's hourly usage history. " +
      'Consumes `license.generated.v1`, `license.activated.v1` and `license.revoked.v1` from `licenses.v1`; ' +
      'publishes `usage.recorded.v1` on `usage.v1` for every acquisition, release, expiry and (coalesced) ' +
      'denial. Lease calls are rate-limited per client address (429 with retry-after). Errors are RFC 9457 ' +
      'problem details.',
    version: '1.0.0',
  },
});
