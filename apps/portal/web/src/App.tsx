import type { ReactNode } from 'react';
import { AnnouncerProvider } from './components/Announcer';
import { Header } from './components/Header';
import { Page } from './components/Page';
import { LoadError, Loading } from './components/Status';
import { CheckEmailPage } from './pages/CheckEmail';
import { DeskQueuePage, StaffOnlyPage } from './pages/DeskQueue';
import { ForgotPasswordPage } from './pages/ForgotPassword';
import { LicenseDetailPage } from './pages/LicenseDetail';
import { LicensesPage } from './pages/Licenses';
import { NotFoundPage } from './pages/NotFound';
import { PurchaseOrderPage } from './pages/PurchaseOrder';
import { SetPasswordPage } from './pages/SetPassword';
import { SignInPage } from './pages/SignIn';
import { SignUpPage } from './pages/SignUp';
import { VerifyEmailPage } from './pages/VerifyEmail';
import { matchPath, Redirect, RouterProvider, useLocation } from './router';
import { homePath, isStaff, SessionProvider, signInPath, useSession } from './session';

/** Pages that need a session: sign in first, then come back here. */
function RequireSession({ children }: { children: ReactNode }) {
  const { state, retry } = useSession();
  const { pathname, search } = useLocation();
  if (state.status === 'loading') {
    return (
      <div aria-busy="true">
        <Loading>Loading…</Loading>
      </div>
    );
  }
  if (state.status === 'unreachable') {
    return (
      <Page title="The portal is not reachable">
        <LoadError error={state.error} onRetry={retry} />
      </Page>
    );
  }
  if (state.status === 'signed-out') return <Redirect to={signInPath(pathname + search)} />;
  return <>{children}</>;
}

/** Sales desk pages: a signed-in customer is told they are for staff (the API would refuse them too). */
function RequireStaff({ children }: { children: ReactNode }) {
  const { state } = useSession();
  return (
    <RequireSession>
      {state.status === 'signed-in' && !isStaff(state.session) ? <StaffOnlyPage /> : children}
    </RequireSession>
  );
}

function Home() {
  const { state } = useSession();
  if (state.status === 'signed-in') return <Redirect to={homePath(state.session)} />;
  if (state.status === 'signed-out') return <Redirect to="/sign-in" />;
  return <RequireSession>{null}</RequireSession>;
}

const publicPages: Record<string, () => ReactNode> = {
  '/sign-up': () => <SignUpPage />,
  '/check-your-email': () => <CheckEmailPage />,
  '/verify-email': () => <VerifyEmailPage />,
  '/sign-in': () => <SignInPage />,
  '/forgot-password': () => <ForgotPasswordPage />,
  '/set-password': () => <SetPasswordPage />,
};

function Routes() {
  const { pathname } = useLocation();
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  if (path === '/') return <Home />;
  const page = publicPages[path];
  if (page) return page();
  if (path === '/licenses') {
    return (
      <RequireSession>
        <LicensesPage />
      </RequireSession>
    );
  }
  const detail = matchPath('/licenses/:id', path);
  if (detail?.id) {
    return (
      <RequireSession>
        <LicenseDetailPage key={detail.id} licenseId={detail.id} />
      </RequireSession>
    );
  }
  if (path === '/desk') {
    return (
      <RequireStaff>
        <DeskQueuePage />
      </RequireStaff>
    );
  }
  const purchaseOrder = matchPath('/desk/purchase-orders/:id', path);
  if (purchaseOrder?.id) {
    return (
      <RequireStaff>
        <PurchaseOrderPage key={purchaseOrder.id} purchaseOrderId={purchaseOrder.id} />
      </RequireStaff>
    );
  }
  return <NotFoundPage />;
}

export function App() {
  return (
    <RouterProvider>
      <SessionProvider>
        <AnnouncerProvider>
          <Header />
          <main id="main" tabIndex={-1}>
            <Routes />
          </main>
        </AnnouncerProvider>
      </SessionProvider>
    </RouterProvider>
  );
}
