import 'reflect-metadata';
import { isTransientDatabaseError } from '@otl/event-store';
import { runService } from '@otl/platform';
import { appModule } from './app.module';
import { SERVICE_NAME, loadConfig } from './config';

/**
 * A 10 MiB document in base64 (with line breaks) and the order around it, with room to spare: a
 * document somewhat over 10 MiB still reaches the service and gets its own 413 `document-too-large`.
 */
const BODY_LIMIT_BYTES = 16 * 1024 * 1024;

runService({
  name: SERVICE_NAME,
  loadConfig,
  prepare: appModule,
  bodyLimitBytes: BODY_LIMIT_BYTES,
  // One string may hold the whole document (the body limit bounds it); every other field has its
  // own, much shorter, rule. A document over 10 MiB is then refused by its own rule, with 413.
  jsonLimits: { maxStringLength: BODY_LIMIT_BYTES },
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
