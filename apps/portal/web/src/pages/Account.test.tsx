import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { expectHeading, noContent, ok, problem, renderApp, unauthorized } from '../test/fake-api';

const signedOut = { 'GET /v1/session': unauthorized };

describe('Create an account', () => {
  it('sends the form and tells the person to check their email', async () => {
    const { user, sent } = renderApp('/sign-up', {
      ...signedOut,
      'POST /v1/accounts': ok({ status: 'check-your-email' }, 202),
    });
    await expectHeading('Create an account');
    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery staple');
    await user.type(screen.getByLabelText('Name'), 'Ada Lovelace');
    expect(screen.getByLabelText('Company (optional)')).not.toBeRequired();
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    await expectHeading('Check your email');
    expect(screen.getByText('ada@example.com')).toBeVisible();
    expect(sent('POST', '/v1/accounts')[0]?.body).toEqual({
      email: 'ada@example.com',
      password: 'correct horse battery staple',
      name: 'Ada Lovelace',
    });
  });

  it('shows each field error of the problem next to its field', async () => {
    const { user } = renderApp('/sign-up', {
      ...signedOut,
      'POST /v1/accounts': problem(400, 'invalid-body', 'Invalid fields: password, company', [
        { field: 'password', message: 'must be 12 to 256 characters long' },
        { field: 'company', message: 'must be shorter than or equal to 200 characters' },
      ]),
    });
    await user.type(await screen.findByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'short');
    await user.type(screen.getByLabelText('Name'), 'Ada');
    await user.type(screen.getByLabelText('Company (optional)'), 'A'.repeat(201));
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    const password = screen.getByLabelText('Password');
    await waitFor(() => expect(password).toHaveAccessibleDescription(/Must be 12 to 256 characters long\./));
    expect(password).toHaveFocus();
    expect(screen.getByLabelText('Company (optional)')).toHaveAccessibleDescription(
      'Must be shorter than or equal to 200 characters.',
    );
    expect(screen.getByLabelText('Email')).not.toHaveAttribute('aria-invalid');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });
});

describe('Verify email', () => {
  it('verifies once on load, removes the token from the address bar and links to sign in', async () => {
    const { sent } = renderApp(
      '/verify-email?token=tok-123',
      { ...signedOut, 'POST /v1/accounts/verification': noContent },
      { strict: true },
    );
    await expectHeading('Verify your email');
    expect(await screen.findByText('Your email address is verified.')).toBeVisible();
    expect(screen.getByRole('link', { name: 'sign in' })).toHaveAttribute('href', '/sign-in');
    expect(window.location.search).toBe('');
    expect(sent('POST', '/v1/accounts/verification')).toEqual([
      { method: 'POST', path: '/v1/accounts/verification', body: { token: 'tok-123' } },
    ]);
  });

  it('says it is verifying while the call runs', async () => {
    renderApp('/verify-email?token=tok-slow', { ...signedOut, 'POST /v1/accounts/verification': 'pending' });
    expect(await screen.findByText('Verifying your email address…')).toBeVisible();
    expect(screen.getByText('Verifying your email address…').parentElement).toHaveAttribute(
      'aria-busy',
      'true',
    );
  });

  it('explains a used or expired link and how to get a new one', async () => {
    renderApp('/verify-email?token=tok-used', {
      ...signedOut,
      'POST /v1/accounts/verification': problem(400, 'invalid-token', 'This link was already used.'),
    });
    const alert = await screen.findByRole('alert');
    expect(within(alert).getByRole('heading', { name: 'This link cannot be used' })).toBeVisible();
    expect(alert).toHaveTextContent('This link was already used.');
    expect(within(alert).getByRole('link', { name: 'ask for a password link' })).toHaveAttribute(
      'href',
      '/forgot-password',
    );
  });

  it('offers to try again after a network failure', async () => {
    const { user } = renderApp('/verify-email?token=tok-retry', {
      ...signedOut,
      'POST /v1/accounts/verification': ['network-error', noContent],
    });
    expect(await screen.findByRole('alert')).toHaveTextContent('We could not reach the portal.');
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('Your email address is verified.')).toBeVisible();
  });

  it('explains a link without its token', async () => {
    renderApp('/verify-email', signedOut);
    expect(await screen.findByRole('heading', { name: 'This link is incomplete' })).toBeVisible();
  });
});

describe('Forgot password', () => {
  it('always says a mail was sent if the account exists', async () => {
    const { user, sent } = renderApp('/forgot-password', {
      ...signedOut,
      'POST /v1/password-reset': ok(undefined, 202),
    });
    await expectHeading('Forgot password');
    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    await user.click(screen.getByRole('button', { name: 'Send link' }));
    expect(await screen.findByText(/we have sent it a link/)).toHaveTextContent(
      'If an account exists for ada@example.com, we have sent it a link to set a new password.',
    );
    expect(sent('POST', '/v1/password-reset')[0]?.body).toEqual({ email: 'ada@example.com' });
  });

  it("shows the API's detail when the call fails", async () => {
    const { user } = renderApp('/forgot-password', {
      ...signedOut,
      'POST /v1/password-reset': problem(503, 'unavailable', 'The account service is not reachable.'),
    });
    await user.type(await screen.findByLabelText('Email'), 'ada@example.com');
    await user.click(screen.getByRole('button', { name: 'Send link' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The account service is not reachable.');
  });
});

describe('Set password', () => {
  async function choose(user: ReturnType<typeof renderApp>['user'], password: string, confirm: string) {
    await user.type(await screen.findByLabelText('New password'), password);
    await user.type(screen.getByLabelText('Confirm new password'), confirm);
    await user.click(screen.getByRole('button', { name: 'Set password' }));
  }

  it('sets the password with the token of the link, which leaves the address bar', async () => {
    const { user, sent } = renderApp('/set-password?token=reset-1', {
      ...signedOut,
      'POST /v1/password-reset/confirm': noContent,
    });
    await expectHeading('Set your password');
    await waitFor(() => expect(window.location.search).toBe(''));
    await choose(user, 'correct horse battery staple', 'correct horse battery staple');
    expect(await screen.findByText('Your password is set.')).toBeVisible();
    expect(screen.getByRole('link', { name: 'sign in' })).toHaveAttribute('href', '/sign-in');
    expect(sent('POST', '/v1/password-reset/confirm')[0]?.body).toEqual({
      token: 'reset-1',
      password: 'correct horse battery staple',
    });
  });

  it('asks for the same password twice before calling the API', async () => {
    const { user, sent } = renderApp('/set-password?token=reset-2', signedOut);
    await choose(user, 'correct horse battery staple', 'correct horse battery stable');
    expect(screen.getByLabelText('Confirm new password')).toHaveAccessibleDescription(
      'The two passwords are not the same.',
    );
    expect(sent('POST', '/v1/password-reset/confirm')).toHaveLength(0);
  });

  it('shows a token error at the top, with the way to a new link, and a password error at its field', async () => {
    const { user } = renderApp('/set-password?token=reset-3', {
      ...signedOut,
      'POST /v1/password-reset/confirm': problem(400, 'invalid-body', 'Invalid fields: token, password', [
        { field: 'token', message: 'this link has expired' },
        { field: 'password', message: 'must be 12 to 256 characters long' },
      ]),
    });
    await choose(user, 'short', 'short');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('This link has expired.');
    expect(within(alert).getByRole('link', { name: 'ask for a password link' })).toBeVisible();
    expect(screen.getByLabelText('New password')).toHaveAccessibleDescription(
      /Must be 12 to 256 characters long\./,
    );
  });
});
