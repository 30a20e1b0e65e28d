import { useCallback, useEffect, useId, useState } from 'react';
import { describeError, ProblemError, SessionEndedError } from './api';
import { useLocation, useNavigate } from './router';

export type Outcome<T> =
  { status: 'loading' } | { status: 'ok'; data: T } | { status: 'error'; error: unknown };

interface Settled<T> {
  load: () => Promise<T>;
  attempt: number;
  outcome: Outcome<T>;
}

/**
 * Loads what `load` returns (memoise it with useCallback: a new function loads again). `initial` is shown
 * while the first load runs (e.g. the licence the previous page just created). A session that ended is
 * not an error here: the sign-in page is already on its way.
 */
export function useResource<T>(load: () => Promise<T>, initial?: T) {
  const [attempt, setAttempt] = useState(0);
  const [settled, setSettled] = useState<Settled<T> | null>(null);

  useEffect(() => {
    let live = true;
    load().then(
      (data) => {
        if (live) setSettled({ load, attempt, outcome: { status: 'ok', data } });
      },
      (error: unknown) => {
        if (live && !(error instanceof SessionEndedError)) {
          setSettled({ load, attempt, outcome: { status: 'error', error } });
        }
      },
    );
    return () => {
      live = false;
    };
  }, [load, attempt]);

  const fresh = settled !== null && settled.load === load && settled.attempt === attempt;
  // While loading again, what was loaded before stays on screen (and focus with it).
  const stale = settled !== null && settled.load === load && settled.outcome.status === 'ok';
  const waiting: Outcome<T> = initial === undefined ? { status: 'loading' } : { status: 'ok', data: initial };
  const state = fresh || stale ? settled.outcome : waiting;
  const reload = useCallback(() => setAttempt((count) => count + 1), []);
  const replace = useCallback(
    (data: T) => setSettled({ load, attempt, outcome: { status: 'ok', data } }),
    [load, attempt],
  );
  return { state, reload, replace };
}

/** "must be 12 to 256 characters long" → "Must be 12 to 256 characters long." */
export function sentence(message: string): string {
  const text = message.trim();
  if (!text) return text;
  const capital = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

export type FieldErrors = Partial<Record<string, string>>;

/** Splits an API error into messages for the form's own fields and one message for the top of the form. */
export function placeErrors(
  error: unknown,
  fields: readonly string[],
): { fields: FieldErrors; form: string | null } {
  const placed: FieldErrors = {};
  const rest: string[] = [];
  if (error instanceof ProblemError) {
    for (const { field, message } of error.problem.errors ?? []) {
      const name = field.split(/[.[]/)[0] ?? '';
      if (fields.includes(name))
        placed[name] = placed[name] ? `${placed[name]} ${sentence(message)}` : sentence(message);
      else rest.push(field ? `${field}: ${message}` : message);
    }
  }
  const anyPlaced = Object.keys(placed).length > 0;
  if (anyPlaced) return { fields: placed, form: rest.length > 0 ? rest.map(sentence).join(' ') : null };
  return { fields: placed, form: describeError(error) };
}

/**
 * The `?token=` of a mailed link, read once. It leaves the address bar at once (history, referrers and
 * screenshots never show it) and stays in the history entry's state, so a reload still has it.
 */
export function useUrlToken(): string | null {
  const { pathname, search, state } = useLocation();
  const navigate = useNavigate();
  const [token] = useState(() => new URLSearchParams(search).get('token') ?? tokenIn(state));
  const inUrl = new URLSearchParams(search).has('token');
  useEffect(() => {
    if (inUrl) navigate(pathname, { replace: true, state: { token } });
  }, [inUrl, navigate, pathname, token]);
  return token;
}

function tokenIn(state: unknown): string | null {
  if (typeof state !== 'object' || state === null || !('token' in state)) return null;
  return typeof state.token === 'string' ? state.token : null;
}

export type SubmitResult<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * A form: its text fields' values, its submission (pending while the call runs), API errors placed next to
 * their fields (`errors[]`) or at the top (the problem's detail), and focus on the first field in error.
 * `initial` names the text fields in the API's words; `otherFields` are further names errors may carry
 * (a radio group, a token that has no field on the page). Both are read once.
 */
export function useForm<F extends string>(initial: Record<F, string>, otherFields: readonly string[] = []) {
  const prefix = useId();
  const [fields] = useState(() => [...otherFields, ...Object.keys(initial)]);
  const [values, setValues] = useState(initial);
  const [pending, setPending] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [focusRequest, setFocusRequest] = useState(0);

  const fieldId = useCallback((name: string) => `${prefix}-${name}`, [prefix]);

  useEffect(() => {
    if (focusRequest === 0) return;
    const first = fields.find((name) => fieldErrors[name] && document.getElementById(`${prefix}-${name}`));
    if (first) document.getElementById(`${prefix}-${first}`)?.focus();
  }, [focusRequest, fieldErrors, fields, prefix]);

  /** The props of a <Field> for the text field `name`. */
  const field = (name: F) => ({
    name,
    id: fieldId(name),
    value: values[name],
    onChange: (value: string) => setValues((last) => ({ ...last, [name]: value })),
    error: fieldErrors[name],
  });

  /** Client-side checks failed: show these and submit nothing. */
  const reject = useCallback((errors: FieldErrors) => {
    setFieldErrors(errors);
    setFormError(null);
    setFocusRequest((count) => count + 1);
  }, []);

  /** The person changed `name`: its old error no longer applies. */
  const clearError = useCallback((name: string) => {
    setFieldErrors((last) => {
      if (!(name in last)) return last;
      const rest = { ...last };
      delete rest[name];
      return rest;
    });
  }, []);

  /** The fields left empty get their message; true when none is empty. */
  const filled = (messages: Partial<Record<F, string>>): boolean => {
    const errors: FieldErrors = {};
    for (const name of Object.keys(messages) as F[]) if (!values[name].trim()) errors[name] = messages[name];
    if (Object.keys(errors).length === 0) return true;
    reject(errors);
    return false;
  };

  const submit = useCallback(
    async <T>(action: () => Promise<T>): Promise<SubmitResult<T>> => {
      setPending(true);
      setFieldErrors({});
      setFormError(null);
      try {
        return { ok: true, value: await action() };
      } catch (error) {
        if (!(error instanceof SessionEndedError)) {
          const placed = placeErrors(error, fields);
          setFieldErrors(placed.fields);
          setFormError(placed.form);
          setFocusRequest((count) => count + 1);
        }
        return { ok: false, error };
      } finally {
        setPending(false);
      }
    },
    [fields],
  );

  return {
    values,
    field,
    filled,
    pending,
    fieldErrors,
    formError,
    setFormError,
    fieldId,
    reject,
    clearError,
    submit,
  };
}
