import 'reflect-metadata';
import { isTransientDatabaseError } from '@otl/event-store';
import { runService } from '@otl/platform';
import { withPortalLinks } from './api/openapi-links';
import { portalModule } from './app.module';
import { loadConfig, SERVICE_NAME } from './config';
import { guardEdge } from './web/edge';
import { WebFiles } from './web/web-files';

let files: WebFiles | undefined;

runService({
  name: SERVICE_NAME,
  loadConfig: () => loadConfig(),
  prepare: (config, logger, metrics) => {
    files = WebFiles.load(config.webDir);
    return portalModule(config, logger, metrics, files);
  },
  configureServer: (server, config) => guardEdge(server, config, () => files as WebFiles),
  trustProxy: (config) => config.trustProxy,
  bodyLimitBytes: 256 * 1024,
  decorateOpenApi: withPortalLinks,
  unavailable: { when: isTransientDatabaseError, retryAfterSeconds: 5 },
  openApi: {
    title: 'portal',
    description:
      'The customer portal: a single-page app and its backend-for-frontend. The browser holds only an ' +
      'HttpOnly, SameSite=Strict session cookie (Secure outside localhost); the portal signs the customer ' +
      'in against the account service, keeps the tokens server-side (sealed with PORTAL_SESSION_KEY), renews ' +
      'the access token before it expires, and calls the account, license and tracking services for the ' +
      'customer, and for sales staff the sales desk over po-intake with their own token. ' +
      "Unsafe requests (POST, DELETE) must carry the portal's own Origin (else 403 `origin-refused`). " +
      'Errors are RFC 9457 problem details; those of the services behind the portal are passed on unchanged.',
    version: '1.0.0',
    tags: ['session', 'account', 'licenses', 'sales desk'],
  },
});
