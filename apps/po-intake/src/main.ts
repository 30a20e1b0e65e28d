import 'reflect-metadata';
import { isTransientDatabaseError } from '@otl/event-store';
import { runService } from '@otl/platform';
import { appModule } from './app.module';
import { SERVICE_NAME, loadConfig } from './config';
import { MAX_BASE64_LENGTH } from './purchase-orders/domain/document';

/** A 10 MiB document in base64 (with line breaks) and the order around it. */
const BODY_LIMIT_BYTES = 15 * 1024 * 1024;

runService({
  name: SERVICE_NAME,
  loadConfig,
  prepare: appModule,
  bodyLimitBytes: BODY_LIMIT_BYTES,
  // One string may hold the whole document; every other field has its own, much shorter, rule.
  jsonLimits: { maxStringLength: MAX_BASE64_LENGTH },
  unavailable: (config) => ({ when: isTransientDatabaseError, retryAfterSeconds: config.retryAfterSeconds }),
  openApi: {
    title: 'po-intake',
    description:
      "The sales desk's purchase orders: a sales rep or manager submits the buyer's PO with its document; " +
      'another sales manager approves it (four eyes) by the end of the next business day, which records the ' +
      'purchase (`purchase.recorded.v1`, channel `purchase-order`, on Kafka topic `purchases.v1`), or rejects it ' +
      'with a reason. Refunds emit `purchase.refunded.v1`. Staff access tokens come from the account service ' +
      '(roles `sales-rep`, `sales-manager`). Errors are RFC 9457 problem details.',
    version: '1.0.0',
  },
});
