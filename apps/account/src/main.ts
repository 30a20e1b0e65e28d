import 'reflect-metadata';
import { connectInbox, isTransientDatabaseError } from '@otl/event-store';
import { runService } from '@otl/platform';
import { appModule } from './app.module';
import { withAccountLinks } from './auth/openapi';
import { SERVICE_NAME, loadConfig } from './config';

runService({
  name: SERVICE_NAME,
  loadConfig,
  prepare: appModule,
  connect: connectInbox,
  trustProxy: (config) => config.trustProxy,
  bodyLimitBytes: 256 * 1024,
  unavailable: { when: isTransientDatabaseError, retryAfterSeconds: 5 },
  openApi: {
    title: 'account',
    description:
      'Accounts of buyers and staff: sign-up with email verification, sign-in (EdDSA access tokens, keys at ' +
      '/.well-known/jwks.json, and rotating refresh tokens with reuse detection), sign-out, password reset, ' +
      'and `/v1/me`. Consumes `purchase.recorded.v1` and assigns ' +
      'each purchase to the account of its buyer (`purchase.assigned.v1`, `account.created.v1` on Kafka ' +
      'topic `accounts.v1`). Errors are RFC 9457 problem details.',
    version: '1.0.0',
  },
  decorateOpenApi: withAccountLinks,
});
