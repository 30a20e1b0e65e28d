import { useState } from 'react';
import { api, ProblemError } from '../api';
import { EMAIL_FIELD, Field } from '../components/Field';
import { Form } from '../components/Form';
import { Page } from '../components/Page';
import { Notice } from '../components/Status';
import { useForm } from '../hooks';
import { Link, Redirect, safeReturnPath, useLocation } from '../router';
import { homePath, useSession } from '../session';

export function SignInPage() {
  const { state, notice, signedIn } = useSession();
  const { search } = useLocation();
  const form = useForm({ email: '', password: '' });
  const [unverified, setUnverified] = useState(false);
  const next = safeReturnPath(new URLSearchParams(search).get('next'));

  // Signed in (now or already): on to the page the person came for, else their start page.
  if (state.status === 'signed-in') return <Redirect to={next ?? homePath(state.session)} />;

  const onSubmit = async () => {
    setUnverified(false);
    if (!form.filled({ email: 'Enter your email address.', password: 'Enter your password.' })) return;
    const { email, password } = form.values;
    const result = await form.submit(() => api.signIn(email.trim(), password));
    if (result.ok) signedIn(result.value);
    else if (result.error instanceof ProblemError && result.error.status === 403) {
      form.setFormError(null);
      setUnverified(true);
    }
  };

  return (
    <Page title="Sign in" narrow>
      {notice && <Notice>{notice}</Notice>}
      {unverified && (
        <div role="alert" className="alert alert-warning">
          <h2>Your email address is not verified yet</h2>
          <p>
            Open the link in the mail we sent when you created your account, then sign in again. If the link
            has expired or the mail is lost, <Link to="/forgot-password">get a new link</Link>: setting your
            password through it also verifies your email address.
          </p>
        </div>
      )}
      <Form onSubmit={onSubmit} error={form.formError} submitLabel="Sign in" pending={form.pending}>
        <Field {...EMAIL_FIELD} autoComplete="username" {...form.field('email')} />
        <Field
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          {...form.field('password')}
        />
      </Form>
      <ul className="form-links">
        <li>
          <Link to="/forgot-password">Forgot password?</Link>
        </li>
        <li>
          No account yet? <Link to="/sign-up">Create an account</Link>
        </li>
      </ul>
    </Page>
  );
}
