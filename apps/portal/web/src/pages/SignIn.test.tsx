import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import {
  expectHeading,
  noContent,
  ok,
  problem,
  renderApp,
  SESSION,
  signedIn,
  unauthorized,
} from '../test/fake-api';

const signedOut = { 'GET /v1/session': unauthorized };

async function fillAndSubmit(user: ReturnType<typeof renderApp>['user'], email: string, password: string) {
  await user.type(await screen.findByLabelText('Email'), email);
  await user.type(screen.getByLabelText('Password'), password);
  await user.click(screen.getByRole('button', { name: 'Sign in' }));
}

describe('Sign in', () => {
  it('sends a visitor of a page that needs a session to sign in, and back to that page afterwards', async () => {
    const { user, sent } = renderApp('/licenses', {
      ...signedOut,
      'POST /v1/session': ok(SESSION),
      'GET /v1/license-items': ok([]),
      'GET /v1/licenses': ok([]),
    });
    await expectHeading('Sign in');
    expect(window.location.pathname + window.location.search).toBe('/sign-in?next=%2Flicenses');
    expect(document.title).toBe('Sign in – Dynamsoft Customer Portal');
    await fillAndSubmit(user, ' ada@example.com ', 'correct horse battery staple');
    await expectHeading('Generate License(s)');
    expect(window.location.pathname).toBe('/licenses');
    expect(sent('POST', '/v1/session')[0]?.body).toEqual({
      email: 'ada@example.com',
      password: 'correct horse battery staple',
    });
    expect(screen.getByRole('banner')).toHaveTextContent('ada@example.com');
  });

  it('offers the way to reset a password and to create an account', async () => {
    renderApp('/sign-in', signedOut);
    expect(await screen.findByRole('link', { name: 'Forgot password?' })).toHaveAttribute(
      'href',
      '/forgot-password',
    );
    expect(screen.getByRole('link', { name: 'Create an account' })).toHaveAttribute('href', '/sign-up');
  });

  it("shows the API's generic message for wrong credentials", async () => {
    const { user } = renderApp('/sign-in', {
      ...signedOut,
      'POST /v1/session': problem(401, 'invalid-credentials', 'The email or password is not right.'),
    });
    await fillAndSubmit(user, 'ada@example.com', 'wrong password');
    expect(await screen.findByRole('alert')).toHaveTextContent('The email or password is not right.');
    expect(window.location.pathname).toBe('/sign-in');
  });

  it('says distinctly that the email is not verified, with the way to a new link', async () => {
    const { user } = renderApp('/sign-in', {
      ...signedOut,
      'POST /v1/session': problem(403, 'email-not-verified', 'Verify your email first.'),
    });
    await fillAndSubmit(user, 'ada@example.com', 'correct horse battery staple');
    const alert = await screen.findByRole('alert');
    expect(
      within(alert).getByRole('heading', { name: 'Your email address is not verified yet' }),
    ).toBeVisible();
    expect(within(alert).getByRole('link', { name: 'get a new link' })).toHaveAttribute(
      'href',
      '/forgot-password',
    );
  });

  it("puts the problem's field errors next to their fields and focuses the first", async () => {
    const { user } = renderApp('/sign-in', {
      ...signedOut,
      'POST /v1/session': problem(400, 'invalid-body', 'Invalid field: email', [
        { field: 'email', message: 'must be an email address' },
      ]),
    });
    await fillAndSubmit(user, 'ada', 'correct horse battery staple');
    const email = screen.getByLabelText('Email');
    await waitFor(() => expect(email).toHaveAccessibleDescription('Must be an email address.'));
    expect(email).toHaveAttribute('aria-invalid', 'true');
    expect(email).toHaveFocus();
    expect(screen.getByLabelText('Password')).not.toHaveAttribute('aria-invalid');
  });

  it('checks for empty fields before calling the API', async () => {
    const { user, sent } = renderApp('/sign-in', signedOut);
    await user.click(await screen.findByRole('button', { name: 'Sign in' }));
    expect(screen.getByLabelText('Email')).toHaveAccessibleDescription('Enter your email address.');
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('Enter your password.');
    expect(sent('POST', '/v1/session')).toHaveLength(0);
  });

  it('says how long to wait when there were too many attempts', async () => {
    const { user } = renderApp('/sign-in', {
      ...signedOut,
      'POST /v1/session': problem(429, 'too-many-requests', 'Too many sign-in attempts.', undefined, {
        'retry-after': '30',
      }),
    });
    await fillAndSubmit(user, 'ada@example.com', 'correct horse battery staple');
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Too many sign-in attempts. Please wait 30 seconds before trying again.',
    );
  });

  it('has its own message when the network fails', async () => {
    const { user } = renderApp('/sign-in', { ...signedOut, 'POST /v1/session': 'network-error' });
    await fillAndSubmit(user, 'ada@example.com', 'correct horse battery staple');
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'We could not reach the portal. Check your connection and try again.',
    );
  });
});

describe('The session', () => {
  it('ending later sends the person to sign in with a notice, and back afterwards', async () => {
    const { user } = renderApp('/licenses', {
      'GET /v1/session': ok(SESSION),
      'GET /v1/license-items': [unauthorized, ok([])],
      'GET /v1/licenses': ok([]),
      'POST /v1/session': ok(SESSION),
    });
    await expectHeading('Sign in');
    expect(screen.getByText('Your session has ended. Please sign in again.')).toBeVisible();
    expect(window.location.search).toBe('?next=%2Flicenses');
    await fillAndSubmit(user, 'ada@example.com', 'correct horse battery staple');
    await expectHeading('Generate License(s)');
  });

  it('found ended on arrival (the cookie no longer works) says so on the sign-in page', async () => {
    renderApp('/licenses', {
      'GET /v1/session': problem(401, 'session-ended', 'Your session has ended.'),
    });
    await expectHeading('Sign in');
    expect(screen.getByText('Your session has ended. Please sign in again.')).toBeVisible();
  });

  it('absent on arrival (never signed in) shows the sign-in page without a notice', async () => {
    renderApp('/licenses', signedOut);
    await expectHeading('Sign in');
    expect(screen.queryByText('Your session has ended. Please sign in again.')).toBeNull();
  });

  it('ends with Sign out, which returns to the sign-in page', async () => {
    const { user, sent } = renderApp(
      '/licenses',
      signedIn({
        'GET /v1/license-items': ok([]),
        'GET /v1/licenses': ok([]),
        'DELETE /v1/session': noContent,
      }),
    );
    await expectHeading('Generate License(s)');
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    await expectHeading('Sign in');
    expect(sent('DELETE', '/v1/session')).toHaveLength(1);
    expect(screen.getByText('You have signed out.')).toBeVisible();
    expect(screen.queryByRole('button', { name: 'Sign out' })).not.toBeInTheDocument();
  });

  it('takes a signed-in person from / to the licenses, and a signed-out one to sign in', async () => {
    renderApp('/', signedIn({ 'GET /v1/license-items': ok([]), 'GET /v1/licenses': ok([]) }));
    await expectHeading('Generate License(s)');
    expect(screen.getByRole('link', { name: 'Licenses' })).toHaveAttribute('aria-current', 'page');
  });

  it('takes a signed-out person from / to sign in', async () => {
    renderApp('/', signedOut);
    await expectHeading('Sign in');
    expect(window.location.pathname).toBe('/sign-in');
  });
});

describe('Not found', () => {
  it('is the page for an unknown address', async () => {
    renderApp('/no/such/page', signedOut);
    await expectHeading('Page not found');
    expect(document.title).toBe('Page not found – Dynamsoft Customer Portal');
  });
});
