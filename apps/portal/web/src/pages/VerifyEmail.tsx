import { useCallback } from 'react';
import { api, describeError, ProblemError } from '../api';
import { Page } from '../components/Page';
import { LoadError, Loading, Notice } from '../components/Status';
import { useResource, useUrlToken } from '../hooks';
import { Link } from '../router';

/** One verification call per token, however often the page mounts (a token works once). */
const verifications = new Map<string, Promise<void>>();

function verifyOnce(token: string): Promise<void> {
  let verification = verifications.get(token);
  if (!verification) {
    verification = api.verifyEmail(token);
    verifications.set(token, verification);
    // A failed call may be tried again.
    verification.catch(() => verifications.delete(token));
  }
  return verification;
}

/** How to get a link that works: a reset link verifies the email too. */
export function NewLinkHelp() {
  return (
    <p>
      To get a new link, <Link to="/forgot-password">ask for a password link</Link>: setting your password
      through it also verifies your email address.
    </p>
  );
}

/** A mailed-link page opened without its token. */
export function IncompleteLink() {
  return (
    <div role="alert" className="alert alert-error">
      <h2>This link is incomplete</h2>
      <p>Open the link from the mail exactly as it is.</p>
      <NewLinkHelp />
    </div>
  );
}

function Verification({ token }: { token: string }) {
  const load = useCallback(() => verifyOnce(token), [token]);
  const { state, reload } = useResource(load);
  if (state.status === 'loading') {
    return (
      <div aria-busy="true">
        <Loading>Verifying your email address…</Loading>
      </div>
    );
  }
  if (state.status === 'ok') {
    return (
      <>
        <Notice>Your email address is verified.</Notice>
        <p>
          You can now <Link to="/sign-in">sign in</Link>.
        </p>
      </>
    );
  }
  if (state.error instanceof ProblemError && state.error.status === 400) {
    return (
      <div role="alert" className="alert alert-error">
        <h2>This link cannot be used</h2>
        <p>It has already been used or has expired. ({describeError(state.error)})</p>
        <NewLinkHelp />
        <p>
          Already verified? <Link to="/sign-in">Sign in</Link>.
        </p>
      </div>
    );
  }
  return <LoadError error={state.error} onRetry={reload} />;
}

export function VerifyEmailPage() {
  const token = useUrlToken();
  return (
    <Page title="Verify your email" narrow>
      {token ? <Verification token={token} /> : <IncompleteLink />}
    </Page>
  );
}
