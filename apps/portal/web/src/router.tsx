import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useLayoutEffect,
  useMemo,
  useState,
  type AnchorHTMLAttributes,
  type MouseEvent,
  type ReactNode,
} from 'react';

/** A tiny history router: the address bar is the state, `navigate` pushes or replaces an entry. */

export interface Location {
  pathname: string;
  search: string;
  /** history.state of the entry (what `navigate` was given). */
  state: unknown;
}

interface NavigateOptions {
  replace?: boolean;
  state?: unknown;
}

interface Router {
  location: Location;
  /** How many navigations happened in this page load (0 on the first page). */
  navigations: number;
  navigate: (to: string, options?: NavigateOptions) => void;
}

const RouterContext = createContext<Router | null>(null);

const current = (): Location => ({
  pathname: window.location.pathname,
  search: window.location.search,
  state: window.history.state as unknown,
});

export function RouterProvider({ children }: { children: ReactNode }) {
  const [location, setLocation] = useState(current);
  const [navigations, setNavigations] = useState(0);

  useEffect(() => {
    const onPopState = () => {
      setLocation(current());
      setNavigations((count) => count + 1);
    };
    window.addEventListener('popstate', onPopState);
    return () => window.removeEventListener('popstate', onPopState);
  }, []);

  const navigate = useCallback((to: string, options: NavigateOptions = {}) => {
    const state = options.state ?? null;
    const before = window.location.pathname;
    if (options.replace) window.history.replaceState(state, '', to);
    else window.history.pushState(state, '', to);
    const next = current();
    setLocation(next);
    if (next.pathname !== before) {
      setNavigations((count) => count + 1);
      // A new page starts at its top.
      (document.scrollingElement ?? document.documentElement).scrollTop = 0;
    }
  }, []);

  const router = useMemo(() => ({ location, navigations, navigate }), [location, navigations, navigate]);
  return <RouterContext.Provider value={router}>{children}</RouterContext.Provider>;
}

function useRouter(): Router {
  const router = useContext(RouterContext);
  if (!router) throw new Error('useRouter outside RouterProvider');
  return router;
}

export const useLocation = () => useRouter().location;
export const useNavigate = () => useRouter().navigate;
export const useNavigations = () => useRouter().navigations;

/** `/licenses/:id` against a pathname: the named segments, or null when it does not match. */
export function matchPath(pattern: string, pathname: string): Record<string, string> | null {
  const want = pattern.split('/');
  const have = pathname.replace(/\/+$/, '').split('/');
  if (pathname === '/' && pattern === '/') return {};
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i] ?? '';
    const value = have[i] ?? '';
    if (segment.startsWith(':')) {
      if (!value) return null;
      try {
        params[segment.slice(1)] = decodeURIComponent(value);
      } catch {
        return null;
      }
    } else if (segment !== value) return null;
  }
  return params;
}

/** A same-origin path to come back to, or null for anything else (no open redirects). */
export function safeReturnPath(value: string | null): string | null {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return null;
  return value;
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string };

/** An <a> that navigates inside the app on a plain click and behaves as a link otherwise. */
export function Link({ to, onClick, children, ...rest }: LinkProps) {
  const navigate = useNavigate();
  const handleClick = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || rest.target) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={handleClick} {...rest}>
      {children}
    </a>
  );
}

/** Replaces the current entry with `to` (e.g. a page that needs a session sends the person to sign in). */
export function Redirect({ to }: { to: string }) {
  const navigate = useNavigate();
  useLayoutEffect(() => {
    navigate(to, { replace: true });
  }, [navigate, to]);
  return null;
}
