import { ProblemException } from '@otl/platform';
import { LeaseError, type LeaseErrorCode } from './domain/lease';

const answers: Record<LeaseErrorCode, [status: number, title: string]> = {
  'license-unknown': [404, 'Licence not found'],
  'product-required': [400, 'Product required'],
  'product-not-licensed': [400, 'Product not licensed'],
  'seats-exhausted': [409, 'Seats exhausted'],
  'license-revoked': [403, 'Licence revoked'],
  'license-expired': [403, 'Licence expired'],
  'license-not-activated': [403, 'Licence not activated'],
  'wrong-tracking-mode': [403, 'Wrong tracking mode'],
  'lease-not-found': [404, 'Lease not found'],
  'lease-gone': [410, 'Lease ended'],
};

/** Statuses the lease API can answer from LeaseErrors, for the OpenAPI document. */
export const leaseErrorStatuses = [...new Set(Object.values(answers).map(([status]) => status))];

/** LeaseErrors become problem details whose `type` ends in the reason; anything else is rethrown. */
export function rethrowLeaseError(error: unknown): never {
  if (error instanceof LeaseError) {
    const [status, title] = answers[error.code];
    throw new ProblemException(status, error.code, title, error.message, error.details);
  }
  throw error;
}
