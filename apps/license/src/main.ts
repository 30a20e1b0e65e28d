import 'reflect-metadata';
import { connectInbox, isTransientDatabaseError } from '@otl/event-store';
import { runService } from '@otl/platform';
import { appModule } from './app.module';
import { SERVICE_NAME, loadConfig } from './config';
import { withLicenseLinks } from './licenses/openapi-links';

runService({
  name: SERVICE_NAME,
  loadConfig,
  prepare: appModule,
  connect: connectInbox,
  bodyLimitBytes: 256 * 1024,
  unavailable: { when: isTransientDatabaseError, retryAfterSeconds: 5 },
  openApi: {
    title: 'license',
    description:
      "The customer portal's licence API: purchased items, one licence for one or several items, activation " +
      '(vendor-hosted or self-hosted tracking) and signed licence files. Consumes `purchase.assigned.v1` and ' +
      '`purchase.refunded.v1`; publishes `license.generated.v1`, `license.activated.v1` and `license.revoked.v1` ' +
      'on `licenses.v1`. Access tokens come from the account service. Errors are RFC 9457 problem details.',
    version: '1.0.0',
  },
  decorateOpenApi: withLicenseLinks,
});
