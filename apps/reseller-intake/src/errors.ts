import { ProblemException } from '@otl/platform';
import { OrderRefTakenError, ResellerOrderError } from './orders/domain/reseller-order';
import { orderLocation } from './orders/orders.service';
import type { StoredAnswer } from './requests/idempotency';

/** A request that outlived its lease on an Idempotency-Key, taken over by a retry (see the migration). */
const LEASE_LOST = 'RI001';

export const notFound = () => new ProblemException(404, 'not-found', 'Not found', 'No such order.');

export const inFlight = () =>
  new ProblemException(
    409,
    'idempotency-key-in-flight',
    'Request in progress',
    'A request with this Idempotency-Key is still being processed; retry after a moment to get its answer.',
    { headers: { 'retry-after': '1' } },
  );

export const otherBody = () =>
  new ProblemException(
    422,
    'idempotency-key-reused',
    'Idempotency-Key reused',
    'This Idempotency-Key was used with a different request body; use a new key for a new request.',
  );

export function refTaken(error: OrderRefTakenError): ProblemException {
  const { existingOrderId } = error;
  return new ProblemException(409, 'reseller-order-ref-taken', 'Order ref already used', error.message, {
    existingOrderId,
    headers: { location: orderLocation(existingOrderId) },
  });
}

/** The 409 for a taken ref, as stored with its Idempotency-Key and replayed. */
export function refTakenAnswer(error: OrderRefTakenError): StoredAnswer {
  const problem = refTaken(error);
  return {
    status: 409,
    body: problem.toProblem() as unknown as Record<string, unknown>,
    location: orderLocation(error.existingOrderId),
  };
}

/** The one place domain errors become problem details; anything else is rethrown (an outage is a 503). */
export function rethrowAsProblem(error: unknown): never {
  if (error instanceof OrderRefTakenError) throw refTaken(error);
  if (error instanceof ResellerOrderError) throw notFound();
  if ((error as { code?: unknown } | null)?.code === LEASE_LOST) throw inFlight();
  throw error;
}
