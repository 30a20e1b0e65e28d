import { Page } from '../components/Page';
import { Link, useLocation } from '../router';

function emailIn(state: unknown): string | null {
  if (typeof state !== 'object' || state === null || !('email' in state)) return null;
  return typeof state.email === 'string' ? state.email : null;
}

export function CheckEmailPage() {
  const email = emailIn(useLocation().state);
  return (
    <Page title="Check your email" narrow>
      <p>
        We have sent a link to {email ? <strong>{email}</strong> : 'your email address'}. Open it to confirm
        the address, then sign in.
      </p>
      <p>
        The link works once. If this address already has an account, the mail says so instead and nothing
        changes. Nothing arrived after a few minutes? Look in your spam folder.
      </p>
      <p>
        <Link to="/sign-in">Go to sign in</Link>
      </p>
    </Page>
  );
}
