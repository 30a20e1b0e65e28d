import 'reflect-metadata';
import { runService } from '@otl/platform';
import { SERVICE_NAME } from '../mode';
import { loadSelfHostedConfig } from './config';
import { selfHostedModule } from './module';

// The customer's License Tracking Server (LTS_MODE=self-hosted): offline, SQLite, no Postgres or
// Kafka client library is even loaded (apps/tracking/test/self-hosted-isolation.e2e.spec.ts).
runService({
  name: SERVICE_NAME,
  loadConfig: () => loadSelfHostedConfig(),
  prepare: selfHostedModule,
  bodyLimitBytes: 64 * 1024,
  openApi: {
    title: 'tracking (self-hosted)',
    description:
      "The customer's own License Tracking Server. Load licence files downloaded from the customer portal " +
      "(verified offline against the vendor's public keys, bound to this server's `ltsInstanceId`), then " +
      'applications lease seats from it. It stores everything in SQLite under LTS_DATA_DIR, emits no events ' +
      'and makes no outbound connection. Errors are RFC 9457 problem details.',
    version: '1.0.0',
  },
});
