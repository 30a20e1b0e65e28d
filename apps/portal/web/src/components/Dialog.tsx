import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode } from 'react';
import { Form } from './Form';

/**
 * A modal dialog on the native <dialog> (showModal: the page behind is inert, focus stays inside).
 * Mounted means open. Focus goes to its heading (so its explanation is read first) and back to what had
 * it before when it closes; Escape closes it.
 */
export function Dialog({
  titleId,
  onClose,
  children,
}: {
  titleId: string;
  onClose: () => void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    // Browsers without showModal (old ones, and jsdom) get a plain open dialog.
    if (typeof dialog.showModal === 'function') {
      if (!dialog.open) dialog.showModal();
    } else dialog.setAttribute('open', '');
    document.getElementById(titleId)?.focus();
    return () => {
      if (typeof dialog.close === 'function') dialog.close();
      else dialog.removeAttribute('open');
      if (opener?.isConnected) opener.focus();
    };
  }, [titleId]);

  const onKeyDown = (event: KeyboardEvent<HTMLDialogElement>) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    onClose();
  };

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      aria-modal="true"
      onKeyDown={onKeyDown}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      {children}
    </dialog>
  );
}

/**
 * A dialog holding one form: its heading (focused first), the form with its submit button and a
 * Cancel that closes the dialog.
 */
export function FormDialog({
  title,
  onClose,
  onSubmit,
  error,
  submitLabel,
  pending,
  children,
}: {
  title: ReactNode;
  onClose: () => void;
  onSubmit: () => void;
  error: ReactNode;
  submitLabel: string;
  pending: boolean;
  children: ReactNode;
}) {
  const titleId = `${useId()}-title`;
  return (
    <Dialog titleId={titleId} onClose={onClose}>
      <h2 id={titleId} tabIndex={-1}>
        {title}
      </h2>
      <Form
        onSubmit={onSubmit}
        error={error}
        submitLabel={submitLabel}
        pending={pending}
        actions={
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        }
      >
        {children}
      </Form>
    </Dialog>
  );
}
