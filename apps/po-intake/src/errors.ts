import { ProblemException } from '@otl/platform';
import { DocumentError } from './purchase-orders/domain/document';
import { PurchaseOrderError } from './purchase-orders/domain/purchase-order';
import { InvalidCursorError } from './purchase-orders/purchase-order-queries';
import { PoNumberTakenError } from './purchase-orders/purchase-orders.service';

function assertUnreachable(value: never): never {
  throw new Error(`unhandled error ${String(value)}`);
}

/**
 * The one place domain errors become problem details; anything else is rethrown (a database
 * outage becomes a 503 in the platform's filter).
 */
export function rethrowAsProblem(error: unknown): never {
  if (error instanceof PoNumberTakenError) {
    throw new ProblemException(409, 'po-number-taken', 'Purchase order already on record', error.message, {
      existingPurchaseOrderId: error.existingPurchaseOrderId,
      headers: { location: `/v1/purchase-orders/${error.existingPurchaseOrderId}` },
    });
  }
  if (error instanceof InvalidCursorError) {
    throw new ProblemException(400, 'validation-failed', 'Request is not valid', 'The cursor is not valid.', {
      errors: [{ field: 'cursor', message: 'must be a nextCursor this API returned' }],
    });
  }
  if (error instanceof DocumentError) {
    const { problem } = error;
    const field = 'document.contentBase64';
    switch (problem.kind) {
      case 'invalid-base64':
        throw new ProblemException(
          400,
          'validation-failed',
          'Request is not valid',
          `${field} ${problem.message}.`,
          {
            errors: [{ field, message: problem.message }],
          },
        );
      case 'empty':
        throw new ProblemException(
          400,
          'validation-failed',
          'Request is not valid',
          'The document is empty.',
          {
            errors: [{ field, message: 'must not be empty' }],
          },
        );
      case 'too-large':
        throw new ProblemException(
          413,
          'document-too-large',
          'Document too large',
          `The document is ${problem.size} bytes decoded; at most 10 MiB (10485760 bytes) is accepted.`,
          { errors: [{ field, message: 'must be at most 10 MiB decoded' }] },
        );
      case 'type-mismatch':
        throw new ProblemException(
          415,
          'document-type-mismatch',
          'Document does not match its type',
          `document.contentType says ${problem.declared}, but the file's first bytes are ` +
            (problem.detected ? `those of ${problem.detected}.` : 'not those of a PDF, PNG or JPEG file.'),
          { errors: [{ field: 'document.contentType', message: `does not match the file's content` }] },
        );
      default:
        assertUnreachable(problem);
    }
  }
  if (error instanceof PurchaseOrderError) {
    switch (error.code) {
      case 'not-found':
        throw new ProblemException(404, 'not-found', 'Not found', error.message);
      case 'own-submission':
        throw new ProblemException(403, 'own-submission', 'Four-eyes rule', error.message);
      case 'already-decided':
        throw new ProblemException(409, 'already-decided', 'Already decided', error.message, {
          currentStatus: error.status,
        });
      case 'not-approved':
        throw new ProblemException(409, 'not-approved', 'Not approved', error.message, {
          currentStatus: error.status,
        });
      case 'already-exists':
        throw error;
      default:
        assertUnreachable(error.code);
    }
  }
  throw error;
}
