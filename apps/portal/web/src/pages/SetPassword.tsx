import { useState } from 'react';
import { api } from '../api';
import { Field, NEW_PASSWORD_FIELD } from '../components/Field';
import { Form } from '../components/Form';
import { Page } from '../components/Page';
import { Alert, Notice } from '../components/Status';
import { useForm, useUrlToken } from '../hooks';
import { Link } from '../router';
import { IncompleteLink, NewLinkHelp } from './VerifyEmail';

/** A first password (after a purchase) and a reset alike: both arrive as a mailed link with a token. */
export function SetPasswordPage() {
  const token = useUrlToken();
  // `token` errors have no field on the page: they go to the top, with the way to a new link.
  const form = useForm({ password: '', confirm: '' }, ['token']);
  const [done, setDone] = useState(false);

  const onSubmit = async () => {
    if (!form.filled({ password: 'Choose a password.', confirm: 'Enter the password again.' })) return;
    const { password, confirm } = form.values;
    if (password !== confirm) return form.reject({ confirm: 'The two passwords are not the same.' });
    const result = await form.submit(() => api.confirmPasswordReset(token ?? '', password));
    if (result.ok) setDone(true);
  };

  const topError = form.fieldErrors.token ?? form.formError;
  return (
    <Page title="Set your password" narrow>
      {!token ? (
        <IncompleteLink />
      ) : done ? (
        <>
          <Notice>Your password is set.</Notice>
          <p>
            You can now <Link to="/sign-in">sign in</Link> with it.
          </p>
        </>
      ) : (
        <Form onSubmit={onSubmit} error={null} submitLabel="Set password" pending={form.pending}>
          {topError && (
            <Alert>
              <p>{topError}</p>
              <NewLinkHelp />
            </Alert>
          )}
          <Field label="New password" {...NEW_PASSWORD_FIELD} {...form.field('password')} />
          <Field
            label="Confirm new password"
            {...NEW_PASSWORD_FIELD}
            hint={undefined}
            {...form.field('confirm')}
          />
        </Form>
      )}
    </Page>
  );
}
