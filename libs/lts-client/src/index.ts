export { LtsClient, type LtsClientOptions } from './client';
export {
  Lease,
  type LeaseClock,
  type LeaseEvents,
  type LeaseState,
  type LostEvent,
  type RenewedEvent,
  type RetryEvent,
} from './lease';
export { LICENSE_REFUSALS, LTS_PROBLEM_CODES, LtsError, type FieldError, type LtsErrorCode } from './errors';
export type { BackoffPolicy } from './timing';
