import type { TokenReason } from '../accounts/domain/account';

export const mailTemplates = [
  'verify-email',
  'account-exists',
  'purchase-set-password',
  'password-reset',
  'staff-invite',
  'password-changed',
] as const;
export type MailTemplate = (typeof mailTemplates)[number];

/** Which mail carries a token issued for `reason`. */
export const templateForToken: Record<TokenReason, MailTemplate> = {
  registration: 'verify-email',
  'repeat-registration': 'account-exists',
  purchase: 'purchase-set-password',
  reset: 'password-reset',
  staff: 'staff-invite',
};

/** The portal page a template's link opens (the contract's two link forms). */
const linkPath: Record<MailTemplate, '/verify-email' | '/set-password' | null> = {
  'verify-email': '/verify-email',
  'account-exists': '/set-password',
  'purchase-set-password': '/set-password',
  'password-reset': '/set-password',
  'staff-invite': '/set-password',
  'password-changed': null,
};

export interface MailParams {
  name: string | null;
  /** When the link stops working (token mails). */
  expiresAt?: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
}

/** `{PORTAL_URL}/verify-email?token=…` or `{PORTAL_URL}/set-password?token=…`; the host is configuration. */
export function linkFor(template: MailTemplate, portalUrl: string, token: string | null): string | null {
  const path = linkPath[template];
  if (!path || token === null) return null;
  const url = new URL(portalUrl);
  url.pathname = url.pathname.replace(/\/$/, '') + path;
  url.searchParams.set('token', token);
  return url.toString();
}

export function renderMail(
  template: MailTemplate,
  params: MailParams,
  link: string | null,
  portalUrl: string,
): RenderedMail {
  const hello = params.name ? `Hello ${params.name},` : 'Hello,';
  const until = params.expiresAt ? `\n\nThe link works once, until ${params.expiresAt}.` : '';
  const ignore = '\n\nIf this was not you, ignore this mail: nothing changes until the link is used.';
  switch (template) {
    case 'verify-email':
      return {
        subject: 'Confirm your email address',
        text: `${hello}\n\nconfirm your address to finish creating your account:\n\n${link}${until}${ignore}`,
      };
    case 'account-exists':
      return {
        subject: 'You already have an account',
        text:
          `${hello}\n\nsomeone asked to create an account with this address, which already has one. ` +
          `Sign in at ${portalUrl}, or choose a new password here:\n\n${link}${until}${ignore}`,
      };
    case 'purchase-set-password':
      return {
        subject: 'Your purchase is in your account: set your password',
        text:
          `${hello}\n\nthank you for your purchase. It is registered to the account of this address. ` +
          `Set a password to sign in and generate your licences:\n\n${link}${until}`,
      };
    case 'password-reset':
      return {
        subject: 'Reset your password',
        text: `${hello}\n\nchoose a new password here:\n\n${link}${until}${ignore}`,
      };
    case 'staff-invite':
      return {
        subject: 'Your staff account: set your password',
        text: `${hello}\n\nan operator gave this address a staff role. Set your password here:\n\n${link}${until}`,
      };
    case 'password-changed':
      return {
        subject: 'Your password was changed',
        text:
          `${hello}\n\nthe password of your account was just changed; the old one no longer works. ` +
          `If you did not do this, reset your password at once at ${portalUrl}.`,
      };
  }
}
