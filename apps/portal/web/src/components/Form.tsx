import type { FormEvent, ReactNode } from 'react';
import { Alert } from './Status';

/**
 * A form of the portal: no native validation bubbles (the page says what is wrong, next to the field),
 * the error that belongs to no field at the top, and a submit button whose name never changes while the
 * call runs (it is marked busy instead).
 */
export function Form({
  onSubmit,
  error,
  submitLabel,
  pending,
  children,
  actions,
}: {
  onSubmit: () => void;
  error: ReactNode;
  submitLabel: string;
  pending: boolean;
  children: ReactNode;
  /** More buttons after the submit button (e.g. Cancel). */
  actions?: ReactNode;
}) {
  const handleSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!pending) onSubmit();
  };
  return (
    <form noValidate onSubmit={handleSubmit} className="form">
      {error && <Alert>{error}</Alert>}
      {children}
      <div className="form-actions">
        <button
          type="submit"
          className="button"
          aria-disabled={pending || undefined}
          aria-busy={pending || undefined}
        >
          {submitLabel}
        </button>
        {actions}
      </div>
    </form>
  );
}
