import { ProblemException } from '@otl/platform';
import { ItemNotAvailableError } from './items/domain/item';
import { LicenseError } from './licenses/domain/license';
import { NotFoundError } from './not-found';

function assertUnreachable(value: never): never {
  throw new Error(`unhandled error code ${String(value)}`);
}

/**
 * The one place domain errors become problem details; anything else is rethrown (a database
 * outage becomes a 503 in the platform's filter).
 */
export function rethrowAsProblem(error: unknown): never {
  if (error instanceof NotFoundError)
    throw new ProblemException(404, 'not-found', 'Not found', error.message);
  if (error instanceof ItemNotAvailableError) {
    throw new ProblemException(409, 'item-not-available', 'Item not available', error.message, {
      itemId: error.itemId,
      itemStatus: error.status,
    });
  }
  if (error instanceof LicenseError) {
    switch (error.code) {
      case 'license-not-found':
        throw new ProblemException(404, 'not-found', 'Not found', error.message);
      case 'activation-conflict':
        throw new ProblemException(409, 'activation-conflict', 'Activation cannot change', error.message);
      case 'license-revoked':
        throw new ProblemException(409, 'license-revoked', 'Licence revoked', error.message);
      case 'license-not-activated':
        throw new ProblemException(409, 'license-not-activated', 'Licence not activated', error.message);
      default:
        assertUnreachable(error.code);
    }
  }
  throw error;
}
