import type { ReactNode } from 'react';
import { describeError } from '../api';

/** An error the person should read now (announced when it appears). */
export function Alert({ children, id }: { children: ReactNode; id?: string }) {
  return (
    <div role="alert" className="alert alert-error" id={id}>
      {children}
    </div>
  );
}

/** A calm, polite message (a notice, a confirmation). */
export function Notice({ children }: { children: ReactNode }) {
  return (
    <div role="status" className="alert alert-info">
      {children}
    </div>
  );
}

/** The polite "loading" line of a region that is aria-busy. */
export function Loading({ children }: { children: ReactNode }) {
  return (
    <p role="status" className="loading">
      {children}
    </p>
  );
}

/** A load that failed: what went wrong, in words, and a way to try again. */
export function LoadError({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  return (
    <div role="alert" className="alert alert-error">
      <p>{describeError(error)}</p>
      <button type="button" className="button button-secondary" onClick={onRetry}>
        Try again
      </button>
    </div>
  );
}
