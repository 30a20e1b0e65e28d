import { api } from '../api';
import { EMAIL_FIELD, Field, NEW_PASSWORD_FIELD } from '../components/Field';
import { Form } from '../components/Form';
import { Page } from '../components/Page';
import { useForm } from '../hooks';
import { Link, useNavigate } from '../router';

export function SignUpPage() {
  const navigate = useNavigate();
  const form = useForm({ email: '', password: '', name: '', company: '' });

  const onSubmit = async () => {
    if (
      !form.filled({
        email: 'Enter your email address.',
        password: 'Choose a password.',
        name: 'Enter your name.',
      })
    ) {
      return;
    }
    const { email, password, name, company } = form.values;
    const body = {
      email: email.trim(),
      password,
      name: name.trim(),
      ...(company.trim() ? { company: company.trim() } : {}),
    };
    const result = await form.submit(() => api.signUp(body));
    if (result.ok) navigate('/check-your-email', { state: { email: body.email } });
  };

  return (
    <Page title="Create an account" narrow>
      <p>
        Use the email address you buy with: purchases made with it appear in your account once you have
        confirmed the address.
      </p>
      <Form onSubmit={onSubmit} error={form.formError} submitLabel="Create account" pending={form.pending}>
        <Field {...EMAIL_FIELD} {...form.field('email')} />
        <Field label="Password" {...NEW_PASSWORD_FIELD} {...form.field('password')} />
        <Field label="Name" autoComplete="name" required {...form.field('name')} />
        <Field label="Company" optional autoComplete="organization" {...form.field('company')} />
      </Form>
      <p className="form-links">
        Already have an account? <Link to="/sign-in">Sign in</Link>
      </p>
    </Page>
  );
}
