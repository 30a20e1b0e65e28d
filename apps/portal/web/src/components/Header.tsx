import { describeError } from '../api';
import { Link, useLocation } from '../router';
import { isStaff, useSession } from '../session';
import { useAnnounce } from './Announcer';
import { PRODUCT_NAME } from './Page';

export function Header() {
  const { state, signOut } = useSession();
  const { pathname } = useLocation();
  const announce = useAnnounce();
  const onSignOut = () => {
    signOut().catch((error: unknown) => announce(`Signing out failed. ${describeError(error)}`));
  };
  return (
    <header className="site-header">
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <div className="header-inner">
        <Link to="/" className="brand">
          {PRODUCT_NAME}
        </Link>
        {state.status === 'signed-in' && (
          <>
            <nav aria-label="Main" className="main-nav">
              <ul>
                {isStaff(state.session) && (
                  <li>
                    <Link to="/desk" aria-current={pathname.startsWith('/desk') ? 'page' : undefined}>
                      Sales desk
                    </Link>
                  </li>
                )}
                <li>
                  <Link to="/licenses" aria-current={pathname.startsWith('/licenses') ? 'page' : undefined}>
                    Licenses
                  </Link>
                </li>
              </ul>
            </nav>
            <div className="account">
              <span className="account-email">
                <span className="visually-hidden">Signed in as </span>
                {state.session.email}
              </span>
              <button type="button" className="button button-secondary" onClick={onSignOut}>
                Sign out
              </button>
            </div>
          </>
        )}
      </div>
    </header>
  );
}
