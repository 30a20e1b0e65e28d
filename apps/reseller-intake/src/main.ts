import 'reflect-metadata';
import { isTransientDatabaseError } from '@otl/event-store';
import { runService } from '@otl/platform';
import type { OpenAPIObject } from '@nestjs/swagger';
import { appModule } from './app.module';
import { SERVICE_NAME, loadConfig } from './config';

runService({
  name: SERVICE_NAME,
  loadConfig,
  prepare: appModule,
  bodyLimitBytes: 256 * 1024,
  unavailable: (config) => ({ when: isTransientDatabaseError, retryAfterSeconds: config.retryAfterSeconds }),
  openApi: {
    title: 'reseller-intake',
    description:
      "Resellers' systems place orders for their customers here. Authenticate with your API key " +
      '(`Authorization: Bearer rsk_…`, issued by the vendor). Each order records a purchase ' +
      '(`purchase.recorded.v1`, channel `reseller`): the customer gets an account from the email, and the items in ' +
      'it. Send an `Idempotency-Key` with every order and retry with the same key: an order is recorded exactly once. ' +
      'Each key is rate limited (429 with `retry-after`; `RateLimit-Policy` and `RateLimit` on every answer). ' +
      'Errors are RFC 9457 problem details. See "Integrating as a reseller" in apps/reseller-intake/README.md.',
    version: '1.0.0',
  },
  decorateOpenApi: (document: OpenAPIObject) => {
    const scheme = document.components?.securitySchemes?.['bearer'];
    if (scheme && !('$ref' in scheme)) {
      scheme.bearerFormat = 'rsk_<key id>_<secret><checksum>';
      scheme.description = 'Your reseller API key, shown once when the vendor issues it.';
    }
    return document;
  },
});
