import type { AccountEvent } from '../accounts/domain/account';
import { mailsFor } from './outbox';
import { linkFor, mailTemplates, renderMail } from './templates';

const issued = (tokenHash: string, reason: 'registration' | 'purchase' | 'reset'): AccountEvent => ({
  type: 'account.token-issued',
  data: {
    tokenHash,
    purpose: reason === 'registration' ? 'verify-email' : 'set-password',
    reason,
    expiresAt: '2026-11-27T11:00:00.000Z',
    issuedAt: '2026-11-27T10:00:00.000Z',
  },
});

describe('mail outbox', () => {
  const recipient = { email: 'Ana.Lima@Example.com', name: 'Ana Lima' };

  it('mails each issued token with its template, and a notice for a replaced password only', () => {
    const mails = mailsFor(
      recipient,
      [
        { eventId: 'e1', event: issued('h1', 'registration') },
        { eventId: 'e2', event: issued('h2', 'purchase') },
        {
          eventId: 'e3',
          event: {
            type: 'account.password-set',
            data: { passwordHash: 'x', via: 'token', replaced: true, setAt: '' },
          },
        },
        {
          eventId: 'e4',
          event: {
            type: 'account.password-set',
            data: { passwordHash: 'x', via: 'token', replaced: false, setAt: '' },
          },
        },
        { eventId: 'e5', event: { type: 'account.email-verified', data: { verifiedAt: '' } } },
      ],
      new Map([
        ['h1', 'raw1'],
        ['h2', 'raw2'],
      ]),
    );
    expect(mails).toEqual([
      {
        id: 'e1',
        recipient: 'Ana.Lima@Example.com',
        template: 'verify-email',
        params: { name: 'Ana Lima', expiresAt: '2026-11-27T11:00:00.000Z' },
        secret: 'raw1',
      },
      {
        id: 'e2',
        recipient: 'Ana.Lima@Example.com',
        template: 'purchase-set-password',
        params: { name: 'Ana Lima', expiresAt: '2026-11-27T11:00:00.000Z' },
        secret: 'raw2',
      },
      {
        id: 'e3',
        recipient: 'Ana.Lima@Example.com',
        template: 'password-changed',
        params: { name: 'Ana Lima' },
        secret: null,
      },
    ]);
  });

  it('refuses to queue a token mail without its raw token', () => {
    expect(() => mailsFor(recipient, [{ eventId: 'e1', event: issued('h1', 'reset') }], new Map())).toThrow(
      /no raw token/,
    );
  });

  it("builds the contract's links on the configured portal, whatever its path", () => {
    expect(linkFor('verify-email', 'http://localhost:3100', 'abc')).toBe(
      'http://localhost:3100/verify-email?token=abc',
    );
    expect(linkFor('password-reset', 'https://portal.example.com/app/', 'a-b_c')).toBe(
      'https://portal.example.com/app/set-password?token=a-b_c',
    );
    expect(linkFor('password-changed', 'http://localhost:3100', null)).toBeNull();
  });

  const subjects: Record<(typeof mailTemplates)[number], string> = {
    'verify-email': 'Confirm your email address',
    'account-exists': 'You already have an account',
    'purchase-set-password': 'Your purchase is in your account: set your password',
    'password-reset': 'Reset your password',
    'staff-invite': 'Your staff account: set your password',
    'password-changed': 'Your password was changed',
  };

  it.each(mailTemplates)('renders %s with its subject, its link and without placeholders', (template) => {
    const link = linkFor(template, 'http://localhost:3100', 'tok');
    const mail = renderMail(
      template,
      { name: 'Ana', expiresAt: '2026-11-27T11:00:00.000Z' },
      link,
      'http://localhost:3100',
    );
    expect(mail.subject).toBe(subjects[template]);
    expect(mail.text).toContain('Hello Ana,');
    // Only the notice of a changed password carries no link.
    expect(link === null).toBe(template === 'password-changed');
    if (link !== null) expect(mail.text).toContain(link);
    expect(mail.text).not.toMatch(/undefined|null|\$\{/);
  });
});
