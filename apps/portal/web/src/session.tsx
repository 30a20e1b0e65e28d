import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, setUnauthorizedHandler, type Session } from './api';
import { useNavigate } from './router';

export const SESSION_ENDED_NOTICE = 'Your session has ended. Please sign in again.';

export type SessionState =
  | { status: 'loading' }
  | { status: 'unreachable'; error: unknown }
  | { status: 'signed-out' }
  | { status: 'signed-in'; session: Session };

interface SessionContextValue {
  state: SessionState;
  /** A message for the sign-in page (the session ended, or the person signed out). */
  notice: string | null;
  signedIn: (session: Session) => void;
  signOut: () => Promise<void>;
  retry: () => void;
}

const SessionContext = createContext<SessionContextValue | null>(null);

/** Sales staff (a sales-rep or sales-manager role) work on the sales desk. */
export const isStaff = (session: Session): boolean => session.roles.length > 0;

/** A sales manager approves, rejects and refunds purchase orders (never their own submissions). */
export const isSalesManager = (session: Session): boolean => session.roles.includes('sales-manager');

/** Where a person starts after signing in: staff at the sales desk, customers at their licences. */
export const homePath = (session: Session): string => (isStaff(session) ? '/desk' : '/licenses');

/** Where to sign in so that the person comes back to `path` afterwards. */
export const signInPath = (path: string) =>
  path === '/' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(path)}`;

export function SessionProvider({ children }: { children: ReactNode }) {
  const navigate = useNavigate();
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const [notice, setNotice] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    api.getSession().then(
      (session) => {
        if (!live) return;
        if (session === 'ended') setNotice(SESSION_ENDED_NOTICE);
        setState(
          session && session !== 'ended' ? { status: 'signed-in', session } : { status: 'signed-out' },
        );
      },
      (error: unknown) => {
        if (live) setState({ status: 'unreachable', error });
      },
    );
    return () => {
      live = false;
    };
  }, [attempt]);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      setState({ status: 'signed-out' });
      setNotice(SESSION_ENDED_NOTICE);
      navigate(signInPath(window.location.pathname + window.location.search), { replace: true });
    });
    return () => setUnauthorizedHandler(() => undefined);
  }, [navigate]);

  const signedIn = useCallback((session: Session) => {
    setNotice(null);
    setState({ status: 'signed-in', session });
  }, []);

  const signOut = useCallback(async () => {
    await api.signOut();
    setState({ status: 'signed-out' });
    setNotice('You have signed out.');
    navigate('/sign-in');
  }, [navigate]);

  const retry = useCallback(() => {
    setState({ status: 'loading' });
    setAttempt((count) => count + 1);
  }, []);

  const value = useMemo(
    () => ({ state, notice, signedIn, signOut, retry }),
    [state, notice, signedIn, signOut, retry],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}
