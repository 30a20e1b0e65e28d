/** The staff roles the portal knows; a customer's token carries none. */
export const STAFF_ROLES = ['sales-rep', 'sales-manager'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

const isStaffRole = (value: unknown): value is StaffRole =>
  typeof value === 'string' && (STAFF_ROLES as readonly string[]).includes(value);

/**
 * The staff roles in the `roles` claim of an access token the account service issued to the portal,
 * read without verifying its signature. That is sound here and only here: the portal got the token
 * itself, from the account service over its own connection (sign-in or refresh), and keeps it sealed
 * in its database; the browser never sees or supplies it. The roles only shape the portal's pages and
 * let it refuse a customer before calling po-intake; po-intake verifies every token it is handed
 * (signature, expiry, roles) and is the one that grants anything. A token that does not decode has no
 * roles.
 */
export function staffRolesOf(accessToken: string): StaffRole[] {
  const payload = accessToken.split('.')[1];
  if (payload === undefined) return [];
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { roles?: unknown };
    if (!Array.isArray(claims.roles)) return [];
    return STAFF_ROLES.filter((role) => (claims.roles as unknown[]).some((claimed) => claimed === role));
  } catch {
    return [];
  }
}

export const isStaff = (roles: readonly string[]): boolean => roles.some(isStaffRole);
