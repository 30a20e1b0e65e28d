import { useState } from 'react';
import { api } from '../api';
import { EMAIL_FIELD, Field } from '../components/Field';
import { Form } from '../components/Form';
import { Page } from '../components/Page';
import { Notice } from '../components/Status';
import { useForm } from '../hooks';
import { Link } from '../router';

export function ForgotPasswordPage() {
  const form = useForm({ email: '' });
  const [sentTo, setSentTo] = useState<string | null>(null);

  const onSubmit = async () => {
    if (!form.filled({ email: 'Enter your email address.' })) return;
    const address = form.values.email.trim();
    const result = await form.submit(() => api.requestPasswordReset(address));
    if (result.ok) setSentTo(address);
  };

  if (sentTo) {
    return (
      <Page title="Forgot password" narrow>
        <Notice>
          If an account exists for <strong>{sentTo}</strong>, we have sent it a link to set a new password.
        </Notice>
        <p>
          The link works once. Nothing arrived after a few minutes? Look in your spam folder, or ask for a new
          link.
        </p>
        <p>
          <Link to="/sign-in">Back to sign in</Link>
        </p>
      </Page>
    );
  }
  return (
    <Page title="Forgot password" narrow>
      <p>
        Enter the email address of your account and we will mail you a link to set a new password. A purchase
        made with a new email address created an account without a password: set one here.
      </p>
      <Form onSubmit={onSubmit} error={form.formError} submitLabel="Send link" pending={form.pending}>
        <Field {...EMAIL_FIELD} {...form.field('email')} />
      </Form>
      <p className="form-links">
        <Link to="/sign-in">Back to sign in</Link>
      </p>
    </Page>
  );
}
