import type { ChangeEvent, ReactNode } from 'react';

interface FieldProps {
  /** The API's name of the field (the body property its errors[] name). */
  name: string;
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  type?: 'text' | 'email' | 'password';
  autoComplete?: string;
  required?: boolean;
  optional?: boolean;
  hint?: ReactNode;
  error?: string | undefined;
  spellCheck?: boolean;
}

/** A labelled text input with its hint and, when the API or a check says so, its error right below it. */
export function Field({
  name,
  id,
  label,
  value,
  onChange,
  type = 'text',
  autoComplete,
  required = false,
  optional = false,
  hint,
  error,
  spellCheck,
}: FieldProps) {
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={error ? 'field field-invalid' : 'field'}>
      <label htmlFor={id}>
        {label}
        {optional && <span className="optional"> (optional)</span>}
      </label>
      {hint && (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      )}
      <input
        id={id}
        name={name}
        type={type}
        value={value}
        onChange={(event: ChangeEvent<HTMLInputElement>) => onChange(event.target.value)}
        autoComplete={autoComplete}
        required={required}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        spellCheck={spellCheck}
      />
      {error && (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      )}
    </div>
  );
}

/** The email field of the account forms (sign in uses `autoComplete="username"`). */
export const EMAIL_FIELD = {
  label: 'Email',
  type: 'email',
  autoComplete: 'email',
  required: true,
  spellCheck: false,
} as const;

/** A password being chosen (sign up, set password): the account service's rule, said up front. */
export const NEW_PASSWORD_FIELD = {
  type: 'password',
  autoComplete: 'new-password',
  required: true,
  hint: 'At least 12 characters. A few unrelated words make a strong password.',
} as const;
